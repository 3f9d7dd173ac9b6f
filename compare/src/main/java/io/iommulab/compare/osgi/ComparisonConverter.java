package io.iommulab.compare.osgi;

import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/** Shows {@code iommu:compare}'s result in the shell (and in the launcher's text output) as its table. */
@Component(service = Converter.class, property = Converter.CONVERTER_CLASSES
        + "=io.iommulab.compare.osgi.ComparisonResult")
public final class ComparisonConverter implements Converter {

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (!(target instanceof ComparisonResult r)) {
            return null;
        }
        return level == INSPECT ? r.text() : r.summary();
    }
}
