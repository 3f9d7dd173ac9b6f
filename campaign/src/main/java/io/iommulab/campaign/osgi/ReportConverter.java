package io.iommulab.campaign.osgi;

import io.iommulab.campaign.report.CampaignReport;
import io.iommulab.campaign.report.TextReport;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/** Shows a campaign's report in the shell (and in the launcher's text output) as {@link TextReport} renders it. */
@Component(service = Converter.class, property = Converter.CONVERTER_CLASSES
        + "=io.iommulab.campaign.report.CampaignReport")
public final class ReportConverter implements Converter {

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (!(target instanceof CampaignReport r)) {
            return null;
        }
        if (level == PART || level == LINE) {
            return "campaign seed " + r.seed() + ": " + r.runs().size() + " run(s), " + r.mismatches() + " mismatch(es)";
        }
        return TextReport.render(r);
    }
}
