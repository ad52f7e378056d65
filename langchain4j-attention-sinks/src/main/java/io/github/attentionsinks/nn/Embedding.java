package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/** Row lookup in an embedding table (one libtorch call), returned in the compute dtype. */
public final class Embedding {
    private Embedding() {}

    /**
     * @param ids int64 token (or position) ids
     * @param table {@code [vocab, hidden]}, possibly stored in float16 (see {@link Linear})
     */
    public static NDArray lookup(NDArray ids, NDArray table, DataType computeType) {
        NDArray rows = JniUtils.embedding((PtNDArray) ids, (PtNDArray) table, false);
        return rows.getDataType() == computeType ? rows : rows.toType(computeType, false);
    }
}
