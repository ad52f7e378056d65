package io.github.attentionsinks.cache;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The advice is checked where Linux records it: the {@code hg} flag of the mapping in /proc/self/smaps. */
class HugePagesTest {
    private static final Path SMAPS = Path.of("/proc/self/smaps");
    private static final long TWO_MIB = 2L << 20;

    @Test
    void theWholeHugePagesOfADirectBufferAreAdvised() throws IOException {
        Assumptions.assumeTrue(Files.isReadable(SMAPS) && Files.exists(Path.of("/sys/kernel/mm/transparent_hugepage")),
                "Linux with transparent huge pages only");
        ByteBuffer buffer = ByteBuffer.allocateDirect((int) (9 * TWO_MIB));
        long start = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
        long firstWhole = (start + TWO_MIB - 1) & -TWO_MIB;

        assertTrue(HugePages.advise(buffer));

        String flags = vmFlags(firstWhole);
        assertNotNull(flags, "no mapping in /proc/self/smaps holds the buffer at 0x" + Long.toHexString(firstWhole));
        assertTrue(flags.contains(" hg"), "VmFlags of the advised range:" + flags);
    }

    @Test
    void aBufferWithNoWholeHugePageIsLeftAlone() {
        assertFalse(HugePages.advise(ByteBuffer.allocateDirect(4096)));
        assertFalse(HugePages.advise(ByteBuffer.allocate((int) (4 * TWO_MIB))), "a heap buffer");
    }

    /** The VmFlags line of the mapping holding {@code address}, or null. */
    private static String vmFlags(long address) throws IOException {
        List<String> lines = Files.readAllLines(SMAPS);
        boolean inside = false;
        for (String line : lines) {
            int dash = line.indexOf('-');
            if (dash > 0 && line.indexOf(' ') > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                inside = Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16);
            } else if (inside && line.startsWith("VmFlags:")) {
                return line.substring("VmFlags:".length());
            }
        }
        return null;
    }
}
