package io.github.attentionsinks.nn;

import ai.djl.ndarray.index.NDIndex;

/**
 * Index builders that skip NDIndex's string parser (it runs a regex per call, which shows on the decode path).
 */
public final class Slices {
    private Slices() {}

    /** {@code [:, from:to]} on a 2-D array. */
    public static NDIndex columns(long from, long to) {
        return new NDIndex().addAllDim().addSliceDim(from, to);
    }

    /** {@code [:, from:to, :]}: a range along the middle axis of a 3-D array. */
    public static NDIndex middle(long from, long to) {
        return new NDIndex().addAllDim().addSliceDim(from, to).addAllDim();
    }

    /** {@code [from:to]} along the first axis. */
    public static NDIndex rows(long from, long to) {
        return new NDIndex().addSliceDim(from, to);
    }
}
