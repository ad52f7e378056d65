/*
 * First touch of fresh memory in this project's VM (docs/benchmarks.md, "Cache growth faulted in ahead"): maps N MiB,
 * advises huge pages, writes a byte into each 4 KiB page and times it; unmaps, sleeps S seconds, and again, four times.
 *   gcc -O2 docs/bench/first_touch.c -o /tmp/first_touch && /tmp/first_touch 300 5
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int c,char**v){ size_t n=(size_t)atoi(v[1])<<20; int s=atoi(v[2]);
 for(int r=0;r<4;r++){
 char*p=mmap(0,n+(2<<20),PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
 char*a=(char*)(((size_t)p+(2<<20)-1)&~((size_t)(2<<20)-1));
 madvise(a,n,MADV_HUGEPAGE);
 double t0=now(); for(size_t i=0;i<n;i+=4096)a[i]=1; double t1=now();
 printf("%zu MB: fresh %.1f ms (%.0f MB/s) after sleeping %d s\n",n>>20,(t1-t0)*1e3,(n>>20)/(t1-t0), r?s:0);
 munmap(p,n+(2<<20)); sleep(s);}
}
