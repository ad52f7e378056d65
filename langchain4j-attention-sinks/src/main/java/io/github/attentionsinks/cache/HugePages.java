package io.github.attentionsinks.cache;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks Linux to back a cache buffer with transparent huge pages ({@code madvise(MADV_HUGEPAGE)}), as libtorch does
 * for its own allocations only when {@code THP_MEM_ALLOC_ENABLE=1} is in the environment.
 *
 * <p>Why: a cache buffer is left uninitialized, so its pages are faulted in as the window reaches them, once per 4 KiB
 * in every layer's and head's keys and values. A 4 KiB fault took 17 µs in this project's VM (a first touch of 400 MB
 * ran at 240 MB/s), 2.5–4 ms of an 8-session decode step while the windows filled; with huge pages the same memory was
 * touched at 15 GB/s when reused and 584 MB/s when fresh (docs/benchmarks.md). The price: a 2 MiB page spans rows of
 * several layers, so a new session's whole buffer is faulted in by its first token (which is why
 * {@link SinkCache}'s buffers start small and grow with the stream). Where the kernel's setting is
 * {@code never}, or the call is not available, nothing changes but the speed.
 */
final class HugePages {
    private static final Logger log = LoggerFactory.getLogger(HugePages.class);
    private static final long SIZE = 2L << 20;
    /** From Linux's {@code asm-generic/mman-common.h}. */
    private static final int MADV_HUGEPAGE = 14;
    /** {@code -Dattentionsinks.hugePages=false} leaves cache buffers on the default page size. */
    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("attentionsinks.hugePages", "true"));
    private static final LibC LIBC = ENABLED ? load() : null;

    private HugePages() {}

    private interface LibC extends Library {
        int madvise(Pointer address, long length, int advice);
    }

    private static LibC load() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return Native.load("c", LibC.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            log.debug("madvise is not available, cache buffers use the default page size: {}", e.toString());
            return null;
        }
    }

    /**
     * Advises huge pages for the whole 2 MiB pages inside a direct buffer (the parts at either end stay small pages).
     *
     * @return whether the advice was given and taken
     */
    static boolean advise(ByteBuffer direct) {
        if (LIBC == null || !direct.isDirect()) {
            return false;
        }
        long start = Pointer.nativeValue(Native.getDirectBufferPointer(direct));
        long bytes = direct.capacity();
        long from = (start + SIZE - 1) & -SIZE;
        long to = (start + bytes) & -SIZE;
        if (to <= from) {
            return false;
        }
        int result = LIBC.madvise(new Pointer(from), to - from, MADV_HUGEPAGE);
        if (result != 0) {
            log.debug("madvise(MADV_HUGEPAGE) of {} bytes failed with errno {}", to - from, Native.getLastError());
        }
        return result == 0;
    }
}
