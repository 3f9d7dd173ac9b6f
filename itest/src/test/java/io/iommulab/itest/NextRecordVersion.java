package io.iommulab.itest;

import java.io.IOException;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.IntInsnNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.AnalyzerException;
import org.objectweb.asm.tree.analysis.Frame;
import org.objectweb.asm.tree.analysis.SourceInterpreter;
import org.objectweb.asm.tree.analysis.SourceValue;

/**
 * The build of a driver bundle whose live-update records are of the next layout version: every
 * {@code new PreservedIommu(node, driver, schema, version, ...)} in its code hands over
 * {@code version + 1}; nothing else changes (its own restore still reads the current version).
 * Handing such a record to the current build is a live update with a record of a version the new
 * code does not know, as a downgrade from a later release would be.
 *
 * <p>The version argument must be a constant where the record is made (as
 * {@code DartRecord.VERSION} and {@code SmmuRecord.VERSION} compile to); {@link #rewritten} says
 * how many records were changed, so a build that changed none is refused by the caller.
 */
final class NextRecordVersion implements BundleBuilds.ClassRewriter {

    private static final String RECORD = "io/iommulab/api/driver/PreservedIommu";
    /** the record's leading parameters: node, driver, schema, version */
    private static final String PREFIX = "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;I";
    private static final int VERSION_ARG = 3;

    private int rewritten;

    /** @return how many record constructions now hand over the next version */
    int rewritten() {
        return rewritten;
    }

    @Override
    public byte[] rewrite(String entry, byte[] bytes) throws IOException {
        ClassNode cls = new ClassNode();
        new ClassReader(bytes).accept(cls, 0);
        int before = rewritten;
        for (MethodNode m : cls.methods) {
            bump(cls, m);
        }
        if (rewritten == before) {
            return bytes;
        }
        ClassWriter w = new ClassWriter(0); // the stack shape is unchanged: one int constant for another
        cls.accept(w);
        return w.toByteArray();
    }

    private void bump(ClassNode cls, MethodNode m) throws IOException {
        if (!usesRecord(m)) {
            return;
        }
        Frame<SourceValue>[] frames;
        try {
            frames = new Analyzer<>(new SourceInterpreter()).analyze(cls.name, m);
        } catch (AnalyzerException e) {
            throw new IOException(cls.name + "." + m.name + ": " + e.getMessage(), e);
        }
        AbstractInsnNode[] insns = m.instructions.toArray();
        for (int i = 0; i < insns.length; i++) {
            if (!(insns[i] instanceof MethodInsnNode call) || !isRecordConstructor(call)) {
                continue;
            }
            Frame<SourceValue> f = frames[i];
            int args = Type.getArgumentTypes(call.desc).length;
            SourceValue version = f.getStack(f.getStackSize() - args + VERSION_ARG);
            if (version.insns.size() != 1) {
                throw new IOException(cls.name + "." + m.name + ": the record's version comes from "
                        + version.insns.size() + " places");
            }
            AbstractInsnNode src = version.insns.iterator().next();
            m.instructions.set(src, intConstant(constant(src, cls.name + "." + m.name) + 1));
            rewritten++;
        }
    }

    private static boolean usesRecord(MethodNode m) {
        for (AbstractInsnNode n : m.instructions) {
            if (n instanceof MethodInsnNode call && isRecordConstructor(call)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isRecordConstructor(MethodInsnNode call) {
        return call.getOpcode() == Opcodes.INVOKESPECIAL && RECORD.equals(call.owner) && "<init>".equals(call.name)
                && call.desc.startsWith(PREFIX);
    }

    private static int constant(AbstractInsnNode n, String where) throws IOException {
        int op = n.getOpcode();
        if (op >= Opcodes.ICONST_M1 && op <= Opcodes.ICONST_5) {
            return op - Opcodes.ICONST_0;
        }
        if (n instanceof IntInsnNode i && (op == Opcodes.BIPUSH || op == Opcodes.SIPUSH)) {
            return i.operand;
        }
        if (n instanceof LdcInsnNode l && l.cst instanceof Integer v) {
            return v;
        }
        throw new IOException(where + ": the record's version is not a constant (opcode " + op + ")");
    }

    private static AbstractInsnNode intConstant(int v) {
        if (v >= -1 && v <= 5) {
            return new InsnNode(Opcodes.ICONST_0 + v);
        }
        if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
            return new IntInsnNode(Opcodes.BIPUSH, v);
        }
        if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
            return new IntInsnNode(Opcodes.SIPUSH, v);
        }
        return new LdcInsnNode(v);
    }
}
