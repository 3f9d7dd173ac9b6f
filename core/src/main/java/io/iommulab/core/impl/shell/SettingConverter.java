package io.iommulab.core.impl.shell;

import io.iommulab.api.config.Setting;
import io.iommulab.api.config.SettingDTO;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Formats {@code iommu:config}'s settings for the shell: a list as a table (PID, KEY, VALUE,
 * SOURCE, APPLIES, DESCRIPTION), one setting as one line. Conversion to settings is not offered.
 */
@Component(service = Converter.class, property = Converter.CONVERTER_CLASSES + "=io.iommulab.api.config.SettingDTO")
public final class SettingConverter implements Converter {

    private static final String[] HEAD = {"PID", "KEY", "VALUE", "SOURCE", "APPLIES", "DESCRIPTION"};

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof List<?> list) {
            if (level != INSPECT || list.isEmpty() || !list.stream().allMatch(SettingDTO.class::isInstance)) {
                return null;
            }
            return table(list.stream().map(SettingDTO.class::cast).toList());
        }
        return target instanceof SettingDTO s ? line(s) : null;
    }

    /** e.g. {@code iommulab.iommu strict=false (configuration file:/x/deploy/iommulab.iommu.cfg; applies to new default domains)} */
    static String line(SettingDTO s) {
        return s.pid() + " " + s.key() + "=" + s.value() + " (" + source(s) + "; applies "
                + (Setting.LIVE.equals(s.applies()) ? "at once" : "to " + s.applies()) + ")";
    }

    /** @return {@code default}, {@code property NAME} or {@code configuration FILE} */
    static String source(SettingDTO s) {
        return s.origin() == null ? s.source() : s.source() + " " + s.origin();
    }

    static String table(List<SettingDTO> settings) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEAD);
        for (SettingDTO s : settings) {
            rows.add(new String[] {s.pid(), s.key(), s.value(), source(s), s.applies(),
                s.description() == null ? "-" : s.description()});
        }
        int[] width = new int[HEAD.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                sb.append(r[i]);
                if (i < r.length - 1) {
                    sb.append(" ".repeat(width[i] - r[i].length() + 2));
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
