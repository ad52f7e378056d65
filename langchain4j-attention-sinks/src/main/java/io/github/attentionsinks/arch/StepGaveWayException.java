package io.github.attentionsinks.arch;

/**
 * A forward pass stopped between layers, or before a layer's MLP, because its caller asked it to give way to more
 * urgent work
 * ({@link CausalLm#logitRows(ai.djl.ndarray.NDManager, int[][], io.github.attentionsinks.cache.SinkCache.Step[],
 * boolean, java.util.function.BooleanSupplier, float[][])}): not a failure, and nothing was committed. Carries no
 * stack trace, as it is control flow.
 */
public final class StepGaveWayException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StepGaveWayException(int layer) {
        super("the step gave way in layer " + layer, null, false, false);
    }
}
