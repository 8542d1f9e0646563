package dev.annealer.operator.act;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Which trainer image a job's pod runs: its own image wins, else CUDA for GPU jobs and CPU for the rest. */
class TrainerImageChoiceTest {

    static final TrainerSettings SETTINGS = new TrainerSettings("reg/trainer:1", "reg/trainer:1-cu124", 8080, 10001,
            10001, 120, "/opt/annealer/djl-cache");

    @ParameterizedTest(name = "image={0} gpus={1} -> {2}")
    @CsvSource(nullValues = "null", value = {
            "null,        null, reg/trainer:1",
            "null,        0,    reg/trainer:1",
            "'',          0,    reg/trainer:1",
            "'  ',        2,    reg/trainer:1-cu124",
            "null,        1,    reg/trainer:1-cu124",
            "null,        8,    reg/trainer:1-cu124",
            "my/own:2,    0,    my/own:2",
            "my/own:2,    4,    my/own:2",
    })
    void chooses(String jobImage, Integer gpus, String expected) {
        assertThat(SETTINGS.imageFor(jobImage, gpus)).isEqualTo(expected);
    }
}
