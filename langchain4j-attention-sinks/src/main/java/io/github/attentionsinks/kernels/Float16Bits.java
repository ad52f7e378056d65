package io.github.attentionsinks.kernels;

/**
 * IEEE binary16 conversions on single values, without the Vector API: float16 weights are rounded with them as they
 * are packed, and a float16 KV cache as keys and values are stored ({@code cache-dtype float16}). JDK 17 has no
 * {@code Float.floatToFloat16} (it came in 20).
 */
public final class Float16Bits {
    /** The largest finite binary16 value, 65504. */
    public static final float MAX_VALUE = 65504f;

    private Float16Bits() {}

    /** IEEE binary16 bits of {@code f}, rounded to nearest even as libtorch does; overflow to infinity, NaN kept a NaN. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) {
            return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
        }
        int e = exponent - 127 + 15;
        if (e >= 31) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            // Subnormal: the implicit 1 joins the mantissa, shifted right by 14 − e with rounding.
            int m = mantissa | 0x800000;
            int shift = 14 - e;
            int half = m >> shift;
            int rest = m & ((1 << shift) - 1);
            int midpoint = 1 << (shift - 1);
            if (rest > midpoint || (rest == midpoint && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mantissa >> 13);
        int rest = mantissa & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++; // may carry into the exponent, up to infinity: still right
        }
        return (short) (sign | half);
    }

    /**
     * The value of binary16 bits {@code h}: sign, exponent and mantissa moved into a float32's places ({@code (h << 13)
     * & 0x8FFFE000} after sign extension, the value times 2^-112, exact for normal and subnormal values alike) and
     * scaled back by 2^112; infinities and NaNs kept.
     */
    public static float toFloat(short h) {
        if ((h & 0x7c00) == 0x7c00) {
            return Float.intBitsToFloat(((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13));
        }
        return Float.intBitsToFloat((h << 13) & 0x8FFFE000) * 0x1p112f;
    }
}
