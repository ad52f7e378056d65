package io.github.attentionsinks.kernels;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every lanewise operator and reduction of the Vector API once per element type, when the first kernel class is
 * initialized, so that the Vector API's per-operator caches are full before any kernel gets hot.
 *
 * <p>Why: each lanewise operation and reduction looks up its fallback in a cache ({@code VectorOperators.ImplCache
 * .find}), which C2 inlines into a kernel once per operation. The first use of an operator for an element type takes
 * the cache's miss path. When that came after C2 had compiled the miss path for another operator, the compiled code
 * left with a class-check trap, and {@code find}'s profile keeps the count (4 after a few such first uses). C2 adds up
 * the class-check traps of every method it inlines into one compilation, and past {@code PerMethodTrapLimit} (100)
 * stops guarding calls with traps for the whole compilation: the Vector API's calls then stay calls and box their
 * vectors. A kernel of 25 or more such operations inlines {@code find} 25 times or more, 4 traps each reaching the limit,
 * so in the JVMs where {@code find} had trapped it ran several times slower: an eight-row float16 kernel with the four
 * quarters of its inputs written out (84 such operations) made 8 chat users 47 tokens/s instead of 271–274 in two JVMs of
 * four, its compilation's class-check count 336, all of it from {@code find} (JIT log, docs/benchmarks.md "Vector API
 * caches filled first"). With every cache filled while the JVM is still interpreting, {@code find}'s miss path never
 * runs again.
 */
final class VectorOperatorCaches {
    private static final Logger LOG = LoggerFactory.getLogger(VectorOperatorCaches.class);

    static {
        long start = System.nanoTime();
        try {
            int calls = fillAll();
            LOG.debug("Vector API operator caches filled: {} calls in {} ms", calls,
                    (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            // Only speed depends on the filling: a JDK whose Vector API refuses it some other way still runs the
            // kernels, with the risk described above.
            LOG.warn("Could not fill the Vector API's operator caches ({}); the Java kernels run, but C2 may box "
                    + "their vectors in some JVMs", e.toString());
        }
    }

    private VectorOperatorCaches() {}

    /** Fills the caches: the first call (from any kernel class's initializer) does the work, later calls nothing. */
    static void fill() {
        // the static initializer above runs once, before the first call returns
    }

    /** Every operator of {@link VectorOperators} on a vector of ones of each element type; the calls made. */
    static int fillAll() {
        List<VectorOperators.Operator> operators = operators();
        Vector<?>[] ones = {
            FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, 1),
            DoubleVector.broadcast(DoubleVector.SPECIES_PREFERRED, 1),
            IntVector.broadcast(IntVector.SPECIES_PREFERRED, 1),
            LongVector.broadcast(LongVector.SPECIES_PREFERRED, 1),
            ShortVector.broadcast(ShortVector.SPECIES_PREFERRED, (short) 1),
            ByteVector.broadcast(ByteVector.SPECIES_PREFERRED, (byte) 1)};
        int calls = 0;
        for (Vector<?> one : ones) {
            for (VectorOperators.Operator operator : operators) {
                calls += apply(operator, one);
            }
        }
        return calls;
    }

    /** The public operator constants of {@link VectorOperators}. */
    static List<VectorOperators.Operator> operators() {
        List<VectorOperators.Operator> operators = new ArrayList<>();
        for (Field field : VectorOperators.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers())
                    && VectorOperators.Operator.class.isAssignableFrom(field.getType())) {
                try {
                    operators.add((VectorOperators.Operator) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("VectorOperators." + field.getName() + " is public", e);
                }
            }
        }
        return operators;
    }

    /**
     * {@code operator} on {@code one} in each form that may go through a cache: unary, binary (and with a scalar, which
     * shifts take through a cache of their own), ternary, reduction, each also with a mask (later JDKs cache those
     * apart). Operators an element type lacks are refused by the Vector API and skipped.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int apply(VectorOperators.Operator operator, Vector one) {
        VectorMask all = one.maskAll(true);
        int calls = 0;
        try {
            if (operator instanceof VectorOperators.Unary unary) {
                one.lanewise(unary);
                one.lanewise(unary, all);
                calls += 2;
            }
            if (operator instanceof VectorOperators.Binary binary) {
                one.lanewise(binary, one);
                one.lanewise(binary, one, all);
                one.lanewise(binary, 1L);
                one.lanewise(binary, 1L, all);
                calls += 4;
            }
            if (operator instanceof VectorOperators.Ternary ternary) {
                one.lanewise(ternary, one, one);
                one.lanewise(ternary, one, one, all);
                calls += 2;
            }
            if (operator instanceof VectorOperators.Associative associative) {
                one.reduceLanesToLong(associative);
                one.reduceLanesToLong(associative, all);
                calls += 2;
            }
        } catch (RuntimeException refused) {
            // not an operator of this element type (UnsupportedOperationException for bitwise ones on floats, say):
            // nothing to cache; any other refusal leaves this operator to its first use and the others filled
        }
        return calls;
    }
}
