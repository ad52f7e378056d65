package io.github.attentionsinks.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * DJL reads DJL_OFFLINE and OPT_OUT_TRACKING from the environment before the system properties {@link DjlRuntime}
 * sets: only an environment that sets both to something other than true turns its "call home" on, and then the start
 * says so. (Checked on the rule alone: a child JVM with such an environment would send the very request.)
 */
class DjlEnvironmentTest {
    @Test
    void warnsOnlyWhenTheEnvironmentTurnsBothSwitchesOff() {
        assertThat(DjlRuntime.environmentOverride(Map.of())).isNull();
        assertThat(DjlRuntime.environmentOverride(Map.of("DJL_OFFLINE", "true", "OPT_OUT_TRACKING", ""))).isNull();
        assertThat(DjlRuntime.environmentOverride(Map.of("DJL_OFFLINE", "", "OPT_OUT_TRACKING", "TRUE"))).isNull();
        assertThat(DjlRuntime.environmentOverride(Map.of("OPT_OUT_TRACKING", "false"))).isNull();
        assertThat(DjlRuntime.environmentOverride(Map.of("DJL_OFFLINE", "false"))).isNull();
        assertThat(DjlRuntime.environmentOverride(Map.of("DJL_OFFLINE", "", "OPT_OUT_TRACKING", "")))
                .contains("DJL_OFFLINE=''", "OPT_OUT_TRACKING=''", "169.254.169.254", "Unset both");
        assertThat(DjlRuntime.environmentOverride(Map.of("DJL_OFFLINE", "false", "OPT_OUT_TRACKING", "no")))
                .contains("DJL_OFFLINE='false'", "OPT_OUT_TRACKING='no'");
    }
}
