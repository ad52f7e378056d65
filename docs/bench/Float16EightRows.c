/*
 * Eight rows times float16 weights from the second-level cache on one thread, in C with AVX-512 intrinsics: the
 * library's way (a tile half [576][32] of shorts, each 64-byte row two vectors of weights widened with a shift, an
 * arithmetic shift and a mask, then 16 multiply-adds with broadcast inputs), and with vcvtph2ps (F16C/AVX-512), which
 * JDK 17's Vector API cannot emit. An argument offsets the weights by that many bytes from a 64-byte boundary (Java
 * arrays start 16 bytes past one). Prints G multiply-adds/s. Used in docs/benchmarks.md ("Four quarters of the
 * inputs"), beside QuarterPassesBench's l2 mode and FmaPeak:
 *
 *   gcc -O2 -march=native -o /tmp/f16-eight docs/bench/Float16EightRows.c && /tmp/f16-eight 0 && /tmp/f16-eight 16
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#define IN 576
#define HALF 32
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static void eight(const short* w, const float* x, float* y, int stride) {
  __m512 a0=_mm512_setzero_ps(),a1=a0,b0=a0,b1=a0,c0=a0,c1=a0,d0=a0,d1=a0,e0=a0,e1=a0,f0=a0,f1=a0,g0=a0,g1=a0,h0=a0,h1=a0;
  const __m512i M=_mm512_set1_epi32(0x8FFFE000);
  for(int i=0;i<IN;i++){
    __m512i p=_mm512_loadu_si512(w+i*HALF);
    __m512 w0=_mm512_castsi512_ps(_mm512_and_si512(_mm512_srai_epi32(_mm512_slli_epi32(p,16),3),M));
    __m512 w1=_mm512_castsi512_ps(_mm512_and_si512(_mm512_srai_epi32(p,3),M));
    const float* xi=x+i*8; __m512 v;
    v=_mm512_set1_ps(xi[0]); a0=_mm512_fmadd_ps(w0,v,a0); a1=_mm512_fmadd_ps(w1,v,a1);
    v=_mm512_set1_ps(xi[1]); b0=_mm512_fmadd_ps(w0,v,b0); b1=_mm512_fmadd_ps(w1,v,b1);
    v=_mm512_set1_ps(xi[2]); c0=_mm512_fmadd_ps(w0,v,c0); c1=_mm512_fmadd_ps(w1,v,c1);
    v=_mm512_set1_ps(xi[3]); d0=_mm512_fmadd_ps(w0,v,d0); d1=_mm512_fmadd_ps(w1,v,d1);
    v=_mm512_set1_ps(xi[4]); e0=_mm512_fmadd_ps(w0,v,e0); e1=_mm512_fmadd_ps(w1,v,e1);
    v=_mm512_set1_ps(xi[5]); f0=_mm512_fmadd_ps(w0,v,f0); f1=_mm512_fmadd_ps(w1,v,f1);
    v=_mm512_set1_ps(xi[6]); g0=_mm512_fmadd_ps(w0,v,g0); g1=_mm512_fmadd_ps(w1,v,g1);
    v=_mm512_set1_ps(xi[7]); h0=_mm512_fmadd_ps(w0,v,h0); h1=_mm512_fmadd_ps(w1,v,h1);
  }
  _mm512_storeu_ps(y,a0);_mm512_storeu_ps(y+16,a1);_mm512_storeu_ps(y+stride,b0);_mm512_storeu_ps(y+stride+16,b1);
  _mm512_storeu_ps(y+2*stride,c0);_mm512_storeu_ps(y+2*stride+16,c1);_mm512_storeu_ps(y+3*stride,d0);_mm512_storeu_ps(y+3*stride+16,d1);
  _mm512_storeu_ps(y+4*stride,e0);_mm512_storeu_ps(y+4*stride+16,e1);_mm512_storeu_ps(y+5*stride,f0);_mm512_storeu_ps(y+5*stride+16,f1);
  _mm512_storeu_ps(y+6*stride,g0);_mm512_storeu_ps(y+6*stride+16,g1);_mm512_storeu_ps(y+7*stride,h0);_mm512_storeu_ps(y+7*stride+16,h1);
}
static void eightcvt(const short* w, const float* x, float* y, int stride) {
  __m512 a0=_mm512_setzero_ps(),a1=a0,b0=a0,b1=a0,c0=a0,c1=a0,d0=a0,d1=a0,e0=a0,e1=a0,f0=a0,f1=a0,g0=a0,g1=a0,h0=a0,h1=a0;
  for(int i=0;i<IN;i++){
    __m512 w0=_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(w+i*HALF)));
    __m512 w1=_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(w+i*HALF+16)));
    const float* xi=x+i*8; __m512 v;
    v=_mm512_set1_ps(xi[0]); a0=_mm512_fmadd_ps(w0,v,a0); a1=_mm512_fmadd_ps(w1,v,a1);
    v=_mm512_set1_ps(xi[1]); b0=_mm512_fmadd_ps(w0,v,b0); b1=_mm512_fmadd_ps(w1,v,b1);
    v=_mm512_set1_ps(xi[2]); c0=_mm512_fmadd_ps(w0,v,c0); c1=_mm512_fmadd_ps(w1,v,c1);
    v=_mm512_set1_ps(xi[3]); d0=_mm512_fmadd_ps(w0,v,d0); d1=_mm512_fmadd_ps(w1,v,d1);
    v=_mm512_set1_ps(xi[4]); e0=_mm512_fmadd_ps(w0,v,e0); e1=_mm512_fmadd_ps(w1,v,e1);
    v=_mm512_set1_ps(xi[5]); f0=_mm512_fmadd_ps(w0,v,f0); f1=_mm512_fmadd_ps(w1,v,f1);
    v=_mm512_set1_ps(xi[6]); g0=_mm512_fmadd_ps(w0,v,g0); g1=_mm512_fmadd_ps(w1,v,g1);
    v=_mm512_set1_ps(xi[7]); h0=_mm512_fmadd_ps(w0,v,h0); h1=_mm512_fmadd_ps(w1,v,h1);
  }
  _mm512_storeu_ps(y,a0);_mm512_storeu_ps(y+16,a1);_mm512_storeu_ps(y+stride,b0);_mm512_storeu_ps(y+stride+16,b1);
  _mm512_storeu_ps(y+2*stride,c0);_mm512_storeu_ps(y+2*stride+16,c1);_mm512_storeu_ps(y+3*stride,d0);_mm512_storeu_ps(y+3*stride+16,d1);
  _mm512_storeu_ps(y+4*stride,e0);_mm512_storeu_ps(y+4*stride+16,e1);_mm512_storeu_ps(y+5*stride,f0);_mm512_storeu_ps(y+5*stride+16,f1);
  _mm512_storeu_ps(y+6*stride,g0);_mm512_storeu_ps(y+6*stride+16,g1);_mm512_storeu_ps(y+7*stride,h0);_mm512_storeu_ps(y+7*stride+16,h1);
}
int main(int argc,char**argv){
  int off=argc>1?atoi(argv[1]):0;
  short* buf=aligned_alloc(64, 4*IN*HALF*2+128); short* w=(short*)((char*)buf+off);
  for(int i=0;i<4*IN*HALF;i++) w[i]=(short)(((rand()&1)<<15)|((10+rand()%8)<<10)|(rand()&1023));
  float x[IN*8]; for(int i=0;i<IN*8;i++) x[i]=rand()/(float)RAND_MAX; float y[8*256];
  for(int k=0;k<2;k++) for(int round=0;round<3;round++){
    int reps=20000; double t0=now();
    for(int r=0;r<reps;r++) for(int h=0;h<4;h++) (k? eightcvt: eight)(w+h*IN*HALF,x,y+h*32,128);
    double s=now()-t0;
    printf("%s off %d: %.1f GMAC/s\n",k?"cvtph":"shifts",off,(double)reps*4*IN*32*8/s/1e9);
  }
  return 0;
}
