package io.github.attentionsinks;

/** Tests only: reaches a {@link DecodeScheduler}'s package-private settings from other packages' tests. */
public final class SchedulerArrivals {
    private SchedulerArrivals() {}

    /** How long a step with room waits for arriving generations ({@link DecodeScheduler.Arrival}). */
    public static void setGatherNanos(DecodeScheduler scheduler, long nanos) {
        scheduler.gatherNanos = nanos;
    }
}
