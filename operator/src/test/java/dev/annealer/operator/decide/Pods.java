package dev.annealer.operator.decide;

import dev.annealer.operator.observe.ContainerSnapshot;
import dev.annealer.operator.observe.PodSnapshot;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Test builder of {@link PodSnapshot}s: a running pod by default, then change what a case needs. */
final class Pods {
    static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");

    private String name = "ft-1";
    private int attempt = 1;
    private String phase = "Running";
    private String reason;
    private String message;
    private Instant deletion;
    private Instant scheduledAt = T0;
    private final List<PodSnapshot.PodConditionSnapshot> conditions = new ArrayList<>();
    private ContainerSnapshot trainer = ContainerSnapshot.running(T0);
    private Long grace;
    private String ip = "10.0.0.7";

    static Pods pod() {
        return new Pods();
    }

    Pods named(String n, int a) {
        name = n;
        attempt = a;
        return this;
    }

    Pods phase(String p) {
        phase = p;
        return this;
    }

    Pods reason(String r, String m) {
        reason = r;
        message = m;
        return this;
    }

    Pods deleting(Instant at) {
        deletion = at;
        return this;
    }

    Pods unscheduled() {
        scheduledAt = null;
        conditions.add(new PodSnapshot.PodConditionSnapshot("PodScheduled", "False", "SchedulingGated", null, T0));
        phase = "Pending";
        trainer = null;
        return this;
    }

    Pods disruption(String r) {
        conditions.add(new PodSnapshot.PodConditionSnapshot("DisruptionTarget", "True", r, "by test", T0));
        return this;
    }

    Pods condition(String type, String r) {
        conditions.add(new PodSnapshot.PodConditionSnapshot(type, "True", r, null, T0));
        return this;
    }

    Pods exited(int code, String reason, String msg) {
        trainer = ContainerSnapshot.terminated(code, reason, msg, T0.plusSeconds(60));
        phase = code == 0 ? "Succeeded" : "Failed";
        return this;
    }

    Pods exitedAt(int code, String reason, String msg, Instant at) {
        exited(code, reason, msg);
        trainer = ContainerSnapshot.terminated(code, reason, msg, at);
        return this;
    }

    Pods waiting(String r) {
        trainer = ContainerSnapshot.waiting(r, "detail");
        phase = "Pending";
        return this;
    }

    Pods grace(Long seconds) {
        grace = seconds;
        return this;
    }

    /** No pod IP yet (not scheduled, or the sandbox is not up). */
    Pods noIp() {
        ip = null;
        return this;
    }

    Pods noContainer() {
        trainer = null;
        return this;
    }

    PodSnapshot build() {
        if (scheduledAt != null) {
            conditions.add(new PodSnapshot.PodConditionSnapshot("PodScheduled", "True", null, null, scheduledAt));
        }
        return new PodSnapshot(name, attempt, phase, reason, message, ip, T0, deletion, scheduledAt, conditions,
                Optional.ofNullable(trainer), grace);
    }
}
