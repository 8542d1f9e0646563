package dev.annealer.operator;

import dev.annealer.api.v1alpha1.FineTuneJob;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Test fixtures: FineTuneJobs from src/test/resources/jobs. */
public final class Jobs {
    private Jobs() {
    }

    public static FineTuneJob load(String name) {
        try (InputStream in = Jobs.class.getResourceAsStream("/jobs/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test job " + name);
            }
            return Serialization.unmarshal(in, FineTuneJob.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static FineTuneJob sgdr() {
        return load("sgdr.yaml");
    }
}
