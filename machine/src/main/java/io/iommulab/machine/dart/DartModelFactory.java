package io.iommulab.machine.dart;

import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * Makes a {@link DartModel} for every Apple DART node of a board: {@code apple,t8103-dart},
 * {@code apple,t8103-usb4-dart}, {@code apple,t6000-dart}, {@code apple,t8110-dart} and
 * {@code apple,t6020-dart}. Registered as a service so the machine bundle's
 * {@code MachineFactoryComponent} hands it to the machine; usable without OSGi as
 * {@code SimMachine.boot(tree, List.of(new DartModelFactory()), props)}.
 */
@Component(service = IommuModelFactory.class, property = {
        "device.compatible=apple,t8103-dart",
        "device.compatible=apple,t8103-usb4-dart",
        "device.compatible=apple,t6000-dart",
        "device.compatible=apple,t8110-dart",
        "device.compatible=apple,t6020-dart"})
public final class DartModelFactory implements IommuModelFactory {

    /** Model name in listings. */
    public static final String NAME = "apple-dart";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> compatibles() {
        return DartModelVariant.compatibles();
    }

    /**
     * @throws io.iommulab.api.error.IommuException EINVAL for a bad model option (the machine then
     *         reports the node as unmodelled with that message)
     */
    @Override
    public IommuModel create(ModelContext context) {
        return new DartModel(context);
    }
}
