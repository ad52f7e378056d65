// What a 512-bit multiply-add costs when one lane of an operand is a float32 subnormal, against normal operands:
// eight independent chains of multiply-adds with the same weight vector, as a product kernel's accumulators are.
// Used in docs/benchmarks.md ("Float16 weights without subnormals"): the float16 kernels widen a float16 weight to
// its value times 2^-112, a float32 subnormal for float16 subnormals, unless the weights are stored raised.
//
//   gcc -O2 -march=native -o /tmp/subnormal-fma docs/bench/SubnormalFma.c && /tmp/subnormal-fma
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void run(const char *name, float lane0, float others) {
    float lanes[16];
    lanes[0] = lane0;
    for (int i = 1; i < 16; i++) {
        lanes[i] = others;
    }
    __m512 w = _mm512_loadu_ps(lanes);
    __m512 x = _mm512_set1_ps(0x1p56f);
    __m512 a[8];
    for (int j = 0; j < 8; j++) {
        a[j] = _mm512_setzero_ps();
    }
    long n = 20000000;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < 8; j++) {
            a[j] = _mm512_fmadd_ps(w, x, a[j]);
        }
        __asm__ volatile("" : "+v"(w)); // keep the weight a register operand, reloaded each iteration
    }
    double t = now() - t0;
    __m512 sum = a[0];
    for (int j = 1; j < 8; j++) {
        sum = _mm512_add_ps(sum, a[j]);
    }
    printf("%-32s %7.2f ns a multiply-add (sum %g)\n", name, t / n / 8 * 1e9, _mm512_reduce_add_ps(sum));
}

int main(void) {
    run("all lanes normal", 1e-36f, 1e-36f);
    run("every lane subnormal", 1e-38f, 1e-38f);
    run("one lane subnormal", 1e-38f, 1e-30f);
    return 0;
}
