package io.iommulab.compare.run;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.core.impl.lab.LabFactoryComponent;
import io.iommulab.dart.impl.AppleDartDriver;
import io.iommulab.dart.impl.DartFamiliesComponent;
import io.iommulab.dart.usb4.impl.T8103Usb4Variant;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.machine.DetachedSimMachine;
import io.iommulab.machine.SimMachine;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.machine.dt.BoardTwins;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.pgtable.dart.DartFormat;
import io.iommulab.pgtable.lpae.ArmLpaeS1Format;
import io.iommulab.smmu.impl.ArmSmmuDriver;
import io.iommulab.smmu.model.SmmuModelFactory;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The real parts without a framework: the machine's model factories and twin builder behind a
 * {@link MachineFactory}, the core's lab factory with the real drivers bound, as the comparison
 * finds them in the container. Shared with the campaign's tests (this module's test jar).
 */
public final class Stack {
    public final List<IommuModelFactory> models = new ArrayList<>();
    public final LabFactoryComponent labs = new LabFactoryComponent();

    /** DART and SMMU: hardware models and drivers. */
    public static Stack dartAndSmmu() {
        Stack s = new Stack();
        s.models.add(DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent())));
        s.models.add(new SmmuModelFactory());
        for (DartHw v : DartVariants.all()) {
            s.labs.bindDriver(AppleDartDriver.create(v, DartFormat::byName));
        }
        // The Thunderbolt DART's variant ships in its own bundle, installed in the launcher too.
        s.labs.bindDriver(AppleDartDriver.create(new T8103Usb4Variant(new DartFamiliesComponent()).hw(), DartFormat::byName));
        s.labs.bindDriver(ArmSmmuDriver.create(name -> name.equals(PageTableFormat.ARM_LPAE_S1) ? new ArmLpaeS1Format() : null,
                System::nanoTime));
        return s;
    }

    /** Adds the test IOMMU (its hardware, test-iommu-model, and its driver, test-iommu): a third backend. */
    public Stack withTestIommu() {
        models.add(new TestIommuModelFactory());
        labs.bindDriver(new TestIommuDriver());
        return this;
    }

    Comparator comparator() {
        return new Comparator(machines(), labs);
    }

    public static DeviceTree board(String name) {
        return DeviceTrees.board(name);
    }

    public MachineFactory machines() {
        return new MachineFactory() {
            @Override
            public Machine boot(String source, byte[] data) {
                throw new IommuException(Errno.EOPNOTSUPP, "the comparison boots detached machines only");
            }

            @Override
            public Machine bootDefault() {
                throw new IommuException(Errno.EOPNOTSUPP, "the comparison boots detached machines only");
            }

            @Override
            public Optional<Machine> current() {
                return Optional.empty();
            }

            @Override
            public DeviceTree readBoard(java.nio.file.Path file) {
                return DeviceTrees.parse(file.toString(), io.iommulab.machine.dt.BoardCheck.checkFile(file));
            }

            @Override
            public DetachedMachine bootDetached(String source, byte[] data, Map<String, String> properties) {
                return new DetachedSimMachine(SimMachine.boot(DeviceTrees.parse(source, data), models, properties));
            }

            @Override
            public byte[] twin(DeviceTree board, String model) {
                for (IommuModelFactory f : models) {
                    if (f.name().equals(model)) {
                        return BoardTwins.twin(board, f);
                    }
                }
                throw new IommuException(Errno.ENODEV, "no hardware model named " + model);
            }

            @Override
            public List<String> twinModels() {
                return models.stream().filter(IommuModelFactory::makesTwins).map(IommuModelFactory::name).toList();
            }
        };
    }
}
