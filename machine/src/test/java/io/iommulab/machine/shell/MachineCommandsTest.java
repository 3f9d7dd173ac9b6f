package io.iommulab.machine.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.lib.cmdline.CommandUsage;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.dt.FdtWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineCommandsTest {

    /** A factory booting the default board into a plain SimMachine, as the component does. */
    private static final class Factory implements MachineFactory {
        SimMachine machine;

        @Override
        public Machine boot(String source, byte[] data) {
            if (machine != null) {
                throw new IommuException(Errno.EBUSY, "machine already booted with " + machine.deviceTree().source());
            }
            machine = SimMachine.boot(DeviceTrees.parse(source, data), List.of(), Map.of());
            return machine;
        }

        @Override
        public Machine bootDefault() {
            if (machine != null) {
                throw new IommuException(Errno.EBUSY, "machine already booted with default");
            }
            machine = SimMachine.boot(DeviceTrees.board("default"), List.of(), Map.of());
            return machine;
        }

        @Override
        public Optional<Machine> current() {
            return Optional.ofNullable(machine);
        }

        @Override
        public io.iommulab.api.dt.DeviceTree readBoard(java.nio.file.Path file) {
            return DeviceTrees.parse(file.toString(), io.iommulab.machine.dt.BoardCheck.checkFile(file));
        }

        @Override
        public io.iommulab.api.machine.DetachedMachine bootDetached(String source, byte[] data, Map<String, String> properties) {
            return new io.iommulab.machine.DetachedSimMachine(SimMachine.boot(DeviceTrees.parse(source, data), List.of(), properties));
        }

        @Override
        public byte[] twin(io.iommulab.api.dt.DeviceTree board, String model) {
            throw new IommuException(Errno.ENODEV, "no hardware model named " + model);
        }

        @Override
        public List<String> twinModels() {
            return List.of();
        }
    }

    private final Factory factory = new Factory();
    private final MachineCommands sh = new MachineCommands(factory);

    @Test
    void commandsBeforeBootSayNoMachine() {
        IommuException e = assertThrows(IommuException.class, sh::status);
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("machine:boot"));
    }

    @Test
    void bootingAFileChecksItFirstWithTheLaunchersMessages(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.dts"), "/dts-v1/;\n/ {\n\tmodel = \"x\"\n\tfoo;\n};\n");
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> sh.boot(bad.toString()));
        assertEquals(bad.toString(), e.source());
        assertEquals("line 4", e.where());
        IommuException missing = assertThrows(IommuException.class, () -> sh.boot(dir.resolve("none.dtb").toString()));
        assertEquals(Errno.ENOENT, missing.errno());
        assertEquals("ENOENT: " + dir.resolve("none.dtb") + ": no such file", missing.getMessage());
        Path good = Files.write(dir.resolve("good.dtb"), FdtWriter.write(DeviceTrees.board("default")));
        assertEquals(8192, sh.boot(good.toString()).ramMiB());
        // once a machine runs, a bad board still gets its own message; a good one gets EBUSY
        assertEquals("line 4", assertThrows(DeviceTreeException.class, () -> sh.boot(bad.toString())).where());
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> sh.boot(good.toString())).errno());
    }

    @Test
    void bootAndListings() {
        MachineCommands.Summary s = sh.boot();
        assertEquals(new MachineCommands.Summary("builtin:default", "iommulab M1 Mac mini-like board", 8192, 10, 0, 7), s);
        assertTrue(s.toString().contains("10 IOMMU nodes (0 modelled), 7 DMA masters"), s.toString());
        assertEquals(s, sh.status());

        List<MachineCommands.HardwareRow> hw = sh.hardware();
        assertEquals(10, hw.size());
        assertEquals("apple,t8103-dart", hw.get(1).compatible());
        assertEquals("disabled", hw.get(0).reason());

        List<MachineCommands.MasterRow> masters = sh.masters();
        assertEquals(7, masters.size());
        MachineCommands.MasterRow wifi = masters.get(4);
        assertEquals(0x100, wifi.rid());
        assertEquals(List.of("/soc/iommu@681008000 sid 1"), wifi.streams());
        assertFalse(wifi.powered());
        assertTrue(wifi.toString().contains("rid 0x0100"), wifi.toString());
    }

    @Test
    void irqsAndPages() {
        sh.boot();
        SimMachine m = factory.machine;
        var dart = m.iommuHardware().get(2).node();
        m.irq(dart, 0).request("dart0", irq -> IrqReturn.NONE, true);
        List<MachineCommands.IrqRow> irqs = sh.irqs();
        assertEquals(1, irqs.size());
        assertEquals(List.of("dart0 (shared)"), irqs.get(0).handlers());
        assertTrue(irqs.get(0).name().endsWith(":781"), irqs.get(0).name());

        long pa = m.pages().allocPages(2, "test-owner");
        MachineCommands.Pages p = sh.pages();
        assertEquals(4, p.inUse());
        assertEquals(Map.of("test-owner", 4L), p.byOwner());
        m.pages().freePages(pa);
    }

    @Test
    void memAndPoke() {
        sh.boot();
        assertEquals("0x800000010 <- 0xdeadbeef", sh.poke("0x8_0000_0010", "0xdeadbeef"));
        String dump = sh.mem("0x800000000", "32");
        assertEquals(2, dump.lines().count());
        assertTrue(dump.lines().toList().get(1).startsWith("00800000010  ef be ad de 00"), dump);
        assertTrue(sh.mem("34359738368").startsWith("00800000000"), "decimal works");
        IommuException e = assertThrows(IommuException.class, () -> sh.mem("0xzz"));
        assertTrue(e.getMessage().contains("PADDR '0xzz'"), e.getMessage());
        e = assertThrows(IommuException.class, () -> sh.poke("0x800000000", "0x1_0000_0000"));
        assertTrue(e.getMessage().contains("VALUE"), e.getMessage());
        e = assertThrows(IommuException.class, () -> sh.mem("0x800000000", "0"));
        assertTrue(e.getMessage().contains("LEN"), e.getMessage());
        assertEquals(Errno.EFAULT, assertThrows(IommuException.class, () -> sh.mem("0x1000")).errno());
    }

    @Test
    void power() {
        sh.boot();
        List<MachineCommands.PowerRow> rows = sh.power("&dwc3_0");
        assertFalse(rows.isEmpty());
        assertFalse(rows.get(rows.size() - 1).on(), "the USB domain is off at boot: " + rows);
        rows = sh.power("/soc/usb@382280000", "on");
        assertTrue(rows.stream().allMatch(MachineCommands.PowerRow::on), rows.toString());
        assertTrue(factory.machine.isPowered(factory.machine.deviceTree().node("/soc/usb@382280000").orElseThrow()));
        MachineCommands.PowerRow usbDomain = rows.get(rows.size() - 1);
        assertTrue(usbDomain.reasons().contains("device /soc/usb@382280000 (machine:power)"), usbDomain.toString());
        // the domain is held by the node switched on by hand: refused, nothing changes
        IommuException busy = assertThrows(IommuException.class, () -> sh.power(usbDomain.domain(), "off"));
        assertEquals(Errno.EBUSY, busy.errno());
        assertTrue(busy.getMessage().contains("device /soc/usb@382280000"), busy.getMessage());
        assertTrue(sh.power("&dwc3_0").stream().allMatch(MachineCommands.PowerRow::on));
        // letting go of the node switches its domains off again
        rows = sh.power("/soc/usb@382280000", "off");
        assertFalse(rows.get(rows.size() - 1).on(), rows.toString());
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> sh.power("/soc/usb@382280000", "off")).errno());
        // a domain switched on by hand, then off
        rows = sh.power(usbDomain.domain(), "on");
        assertEquals(List.of("switched on by hand"), rows.get(rows.size() - 1).reasons());
        rows = sh.power(usbDomain.domain(), "off");
        assertFalse(rows.get(rows.size() - 1).on());
        // the whole list: every domain, always-on ones on with their reason
        List<MachineCommands.PowerRow> all = sh.power();
        assertTrue(all.size() > 10, all.toString());
        assertTrue(all.stream().anyMatch(r -> r.on() && r.reasons().contains("always-on")), all.toString());
        assertTrue(all.stream().noneMatch(r -> r.on() && r.reasons().isEmpty()), "every on domain says why: " + all);
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> sh.power("/nope")).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> sh.power(usbDomain.domain(), "maybe")).errno());
    }

    /** On a two-die tree node names repeat: a name is refused listing both dies' nodes, a path suffix or label works. */
    @Test
    void twoDieNamesAreUnambiguous() throws java.io.IOException {
        try (java.io.InputStream in = getClass().getResourceAsStream("/dt/two-die.dts")) {
            factory.boot("two-die.dts", in.readAllBytes());
        }
        String usb0 = "/soc@200000000/usb@702280000";
        String usb1 = "/soc@2200000000/usb@702280000";
        String ps1 = "/soc@2200000000/power-management@28e080000/power-controller@118";
        IommuException e = assertThrows(IommuException.class, () -> sh.power("usb@702280000"));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: node name 'usb@702280000' is ambiguous: " + usb0 + ", " + usb1, e.getMessage());
        sh.power(usb0, "on");
        sh.power(usb1, "on");
        IommuException off = assertThrows(IommuException.class, () -> sh.power("power-controller@118", "off"));
        assertEquals(Errno.EINVAL, off.errno());
        assertTrue(factory.machine.powerDomains().byPath(ps1).isOn(), "nothing switched off");
        assertTrue(factory.machine.powerDomains().byPath("/soc@200000000/power-management@28e080000/power-controller@118")
                .isOn(), "nothing switched off");
        assertEquals(ps1, sh.power("soc@2200000000/usb@702280000").get(0).domain());
        assertEquals(ps1, sh.power("&dwc3_0_die1").get(0).domain());
        assertEquals(ps1, sh.power("ps_atc0_usb_die1").get(0).domain());
        // the name machine:power lists (the genpd name: the label property), all a real DTB offers short of the path
        assertEquals(List.of(ps1), sh.power("atc0_usb_die1").stream().map(MachineCommands.PowerRow::domain).toList());
        assertEquals("atc0_usb_die1", sh.power("atc0_usb_die1").get(0).label());
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> sh.power("atc0_usb_die1", "off")).errno());
        assertEquals(List.of(usb0, usb1), sh.masters().stream().map(MachineCommands.MasterRow::node).toList());
        assertEquals(List.of("/soc@200000000/iommu@702f00000 sid 0", "/soc@2200000000/iommu@702f00000 sid 0"),
                sh.masters().stream().map(r -> r.streams().get(0)).toList());
        List<String> hw = sh.hardware().stream().map(MachineCommands.HardwareRow::node).toList();
        assertEquals(List.of("/soc@200000000/iommu@702f00000", "/soc@2200000000/iommu@702f00000"), hw);
        for (String dart : hw) {
            factory.machine.irq(factory.machine.deviceTree().node(dart).orElseThrow(), 0);
        }
        assertEquals(List.of("aic:1/1194", "aic:1194"), sh.irqs().stream().map(MachineCommands.IrqRow::name).toList());
    }

    /** The forms every shell and file takes (api's Memparse): sizes with suffixes, hex, _ groups. */
    @Test
    void memAndPokeTakeNumbersAsIommuMapAndWorkloadsDo() {
        sh.boot();
        assertEquals("0x800004000 <- 0x00001000", sh.poke("0x800004000", "4K"));
        assertEquals("0x800004004 <- 0xffffffff", sh.poke("0x8_0000_4004", "0xffff_ffff"));
        assertEquals(sh.mem("0x800004000", "16"), sh.mem("33554448K", "0x10"), "0x800004000 is 33554448 KiB");
        assertTrue(sh.mem("0x800004000", "16").contains("00 10 00 00 ff ff ff ff"), sh.mem("0x800004000", "16"));
        assertEquals(16384 / 16, sh.mem("0x800000000", "16K").lines().count(), "machine:mem PADDR 16K dumps 16 KiB");
        assertEquals(1024 / 16, sh.mem("0x800000000", "1k").lines().count());
        assertTrue(sh.mem("32G").startsWith("00800000000"), "32G is 0x800000000");
        assertTrue(sh.mem("0x200_0000K").startsWith("00800000000"), "hex with a suffix, as memparse");

        String forms = " is not a number (decimal or 0x hex, optional K, M, G, T, P or E suffix)";
        assertEquals("EINVAL: PADDR '0x800000000T' does not fit in 64 bits", refused(() -> sh.mem("0x800000000T")));
        assertEquals("EINVAL: PADDR '0xzz'" + forms, refused(() -> sh.mem("0xzz")));
        assertEquals("EINVAL: LEN '16KB'" + forms, refused(() -> sh.mem("0x800000000", "16KB")));
        assertEquals("EINVAL: LEN '-1'" + forms, refused(() -> sh.mem("0x800000000", "-1")));
        assertEquals("EINVAL: LEN '010' has a leading 0, which Linux's memparse reads as octal: write it in decimal without"
                + " the 0, or in 0x hex", refused(() -> sh.mem("0x800000000", "010")));
        assertEquals("EINVAL: LEN '65K' is not between 1 and 65536", refused(() -> sh.mem("0x800000000", "65K")));
        assertEquals("EINVAL: PADDR '0x1_0000_0000_0000_0000' does not fit in 64 bits",
                refused(() -> sh.poke("0x1_0000_0000_0000_0000", "0")));
        assertEquals("EINVAL: VALUE '4G' is not between 0 and 4294967295", refused(() -> sh.poke("0x800000000", "4G")));
        assertEquals("EINVAL: VALUE '-1'" + forms, refused(() -> sh.poke("0x800000000", "-1")));
    }

    @Test
    void failnthArmsTheMachinesCountdownAndShowsWhatFailed() {
        sh.boot();
        assertFalse(sh.failnth().armed());
        io.iommulab.api.dto.FailNthDTO armed = sh.failnth("2", "page-alloc,request-irq");
        assertTrue(armed.armed());
        assertEquals(List.of("page-alloc", "request-irq"), armed.points());
        Machine m = factory.machine;
        m.pages().freePages(m.pages().allocPages(0, "first"));
        IommuException e = assertThrows(IommuException.class, () -> m.pages().allocPages(0, "second"));
        assertEquals(Errno.ENOMEM, e.errno());
        io.iommulab.api.dto.FailNthDTO hit = sh.failnth();
        assertEquals("page-alloc", hit.point());
        assertEquals("second", hit.where());
        assertEquals(2, hit.hits());
        assertFalse(hit.armed(), "spent");

        sh.failnth("5");
        assertEquals(7, sh.failnth().points().size(), "no points: every point");
        io.iommulab.api.dto.FailNthDTO off = sh.failnth("off");
        assertFalse(off.armed());
        assertFalse(off.failed());

        assertEquals("EINVAL: N '0' is not between 1 and 9223372036854775807", refused(() -> sh.failnth("0")));
        assertEquals("EINVAL: fail-nth: injection point 'tlb' is not one of page-alloc, request-irq, busy-stuck, "
                + "sync-stuck, domain-alloc, kzalloc, cb-alloc", refused(() -> sh.failnth("1", "tlb")));
        assertEquals("EINVAL: fail-nth off takes no points (found kzalloc)", refused(() -> sh.failnth("off", "kzalloc")));
    }

    private static String refused(org.junit.jupiter.api.function.Executable command) {
        IommuException e = assertThrows(IommuException.class, command);
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
        return e.getMessage();
    }

    /** Every {@code machine:} command and each of its parameters says what it is, for {@code help} and usage errors. */
    @Test
    void everyCommandAndParameterIsDescribed() {
        assertEquals(List.of(), CommandUsage.undescribed(MachineCommands.class));
    }
}
