package io.iommulab.campaign.run;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.campaign.op.Op;
import io.iommulab.campaign.op.OpCodec;
import java.util.function.Supplier;

/** One operation being run: its index, its line (made only when something is reported), whether it ran. */
final class Step {
    final long index;
    final Op op;
    private final Counters counters;
    boolean ran;

    Step(long index, Op op, Counters counters) {
        this.index = index;
        this.op = op;
        this.counters = counters;
    }

    Mismatch fail(String check, String detail) {
        return new Mismatch(index, OpCodec.format(op), check, detail);
    }

    /** the operation was not for this lab's state: nothing to check */
    Mismatch skip() {
        counters.skipped++;
        return null;
    }

    void ran(String name) {
        ran = true;
        counters.op(name);
    }

    /** Compares the outcome of a call with the errno the oracle expects (null: success); counts an expected error. */
    Mismatch expect(Errno expected, IommuException got) {
        Errno e = got == null ? null : got.errno();
        if (e != expected) {
            return fail("errno", "expected " + (expected == null ? "success" : expected.name()) + ", got "
                    + (got == null ? "success" : e + ": " + got.getMessage()));
        }
        if (got != null) {
            counters.error(got.errno().name());
        }
        return null;
    }

    /**
     * Calls the code under test and judges the call against the errno the oracle expects (null:
     * success), as {@link #expect}.
     */
    <T> Outcome<T> call(Errno expected, Supplier<T> call) {
        T value = null;
        IommuException got = null;
        try {
            value = call.get();
        } catch (IommuException e) {
            got = e;
        }
        return new Outcome<>(value, got, expect(expected, got));
    }

    /** As {@link #call} for a call that returns nothing. */
    Outcome<Void> run(Errno expected, Runnable call) {
        return call(expected, () -> {
            call.run();
            return null;
        });
    }

    /**
     * What a call gave: its value, its refusal, and the mismatch if it did not do what the oracle
     * expects.
     */
    record Outcome<T>(T value, IommuException error, Mismatch mismatch) {
        /** @return whether the step ends here: a mismatch, or the refusal the oracle expected */
        boolean done() {
            return mismatch != null || error != null;
        }
    }
}
