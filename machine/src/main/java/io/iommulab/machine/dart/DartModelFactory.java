package io.iommulab.machine.dart;

import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /** The DART twin stands in with the newest DART (t8110: 256 streams, up to 511 by strapping). */
    static final String TWIN_COMPATIBLE = DartModelVariant.T8110.compatible();
    private static final long TWIN_REG_SIZE = 0x4000;

    @Override
    public boolean makesTwins() {
        return true;
    }

    /**
     * One t8110 DART per source: apple-dart serves a master from several DARTs (a dwc3 sits behind
     * two), so nothing is merged. A source whose masters use stream ids beyond what a t8110 can be
     * strapped for cannot be stood in for.
     */
    @Override
    public List<TwinNode> twin(List<TwinSource> linked) {
        List<TwinNode> out = new ArrayList<>();
        int defaultSids = DartModelVariant.T8110.sids();
        for (TwinSource s : linked) {
            if (s.streams() > DartConfig.MAX_STREAMS) {
                return List.of();
            }
            List<String> options = s.streams() > defaultSids ? List.of(DartConfig.STREAMS + "=" + s.streams()) : List.of();
            out.add(new TwinNode(List.of(TWIN_COMPATIBLE), TWIN_REG_SIZE, 1, 1, Map.of(), options));
        }
        return out;
    }
}
