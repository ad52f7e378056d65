package io.github.attentionsinks.hub;

import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A me.tongfei progress bar per file on stderr. Only created by {@link DownloadProgress#terminal()}. Files known to
 * be under 1 MiB (configs, most tokenizers) get no bar: they finish before a bar says anything.
 */
final class TerminalProgress implements DownloadProgress {
    private static final long MIB = 1024L * 1024L;

    @Override
    public Transfer start(String label, long totalBytes, long resumedFrom) {
        if (totalBytes >= 0 && totalBytes < MIB) {
            return DownloadProgress.none().start(label, totalBytes, resumedFrom);
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(label)
                .setInitialMax(totalBytes)
                .setUnit(" MiB", MIB)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .startsFrom(Math.max(0, resumedFrom), Duration.ZERO)
                .build();
        return new Transfer() {
            @Override
            public void update(long bytesDone) {
                bar.stepTo(bytesDone);
            }

            @Override
            public void close() {
                bar.close();
            }
        };
    }
}
