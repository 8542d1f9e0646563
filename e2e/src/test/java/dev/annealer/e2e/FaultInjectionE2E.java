package dev.annealer.e2e;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.annealer.e2e.E2eEnvironment.status;
import static dev.annealer.e2e.E2eEnvironment.statusLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault injection on the real control plane (issue 12): each scenario is bounded and stops on its own, and ends with
 * the job Succeeded, the uninterrupted run's paramsSha256, one pod (no duplicate attempt) and no preemption or
 * failure counted. The table of outcomes is in docs/operations/fault-injection.md.
 */
@ExtendWith(E2eExtension.class)
class FaultInjectionE2E {

    /** The operator SIGKILLed every few seconds, 10 times, while the trainer runs. */
    @Test
    void operatorKilledInALoop(E2eEnvironment env) throws Exception {
        String ns = env.namespace("e2e-fault-operator-kill");
        String job = "kill-loop";
        String jobYaml = startAndWaitForTraining(env, ns, job);
        for (int i = 0; i < 10; i++) {
            env.killOperator();
            Thread.sleep(1000);
            env.startOperator();
            Thread.sleep(4000); // a few seconds of operator life: often not even leader yet
        }
        Jobs.succeedsLikeUninterrupted(env, ns, job, jobYaml, Duration.ofMinutes(8));
    }

    /** Another client patches the job's labels and annotations every 100 ms for the whole run. */
    @Test
    void aStormOfConflictingPatchesOnTheJob(E2eEnvironment env) throws Exception {
        String ns = env.namespace("e2e-fault-patch-storm");
        String job = "storm";
        String jobYaml = startAndWaitForTraining(env, ns, job);
        KubernetesClient c = env.client();
        AtomicInteger patches = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        ScheduledExecutorService storm = Executors.newSingleThreadScheduledExecutor();
        try {
            storm.scheduleAtFixedRate(() -> {
                int n = patches.incrementAndGet();
                try {
                    // a JSON merge patch with a stale resourceVersion half of the time: a real conflict for the server
                    String rv = n % 2 == 0 ? ",\"resourceVersion\":\"1\"" : "";
                    env.job(ns, job).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"storm\":\""
                            + n + "\"},\"annotations\":{\"storm.example.com/n\":\"" + n + "\"}" + rv + "}}");
                } catch (KubernetesClientException e) {
                    conflicts.incrementAndGet();
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            Jobs.succeedsLikeUninterrupted(env, ns, job, jobYaml, Duration.ofMinutes(8));
        } finally {
            storm.shutdownNow();
            storm.awaitTermination(10, TimeUnit.SECONDS);
        }
        System.err.printf("e2e: patch storm: %d patches, %d refused (conflicts)%n", patches.get(), conflicts.get());
        assertThat(patches.get()).isGreaterThan(100);
        assertThat(conflicts.get()).as("the stale-resourceVersion half must have conflicted").isGreaterThan(0);
    }

    /** kube-apiserver SIGKILLed mid-job, down for 5 s, started again (the operator supervised as by a Deployment). */
    @Test
    void apiServerRestartedMidJob(E2eEnvironment env) throws Exception {
        String ns = env.namespace("e2e-fault-apiserver");
        String job = "apiserver";
        String jobYaml = startAndWaitForTraining(env, ns, job);
        env.restartApiServer(Duration.ofSeconds(5));
        superviseOperator(env, "apiserver restart");
        Jobs.succeedsLikeUninterrupted(env, ns, job, jobYaml, Duration.ofMinutes(8));
    }

    /** etcd SIGKILLed mid-job, down for 5 s, started again on its data: the API server fails requests meanwhile. */
    @Test
    void etcdRestartedMidJob(E2eEnvironment env) throws Exception {
        String ns = env.namespace("e2e-fault-etcd");
        String job = "etcd";
        String jobYaml = startAndWaitForTraining(env, ns, job);
        env.restartEtcd(Duration.ofSeconds(5));
        superviseOperator(env, "etcd restart");
        Jobs.succeedsLikeUninterrupted(env, ns, job, jobYaml, Duration.ofMinutes(8));
    }

    /**
     * After a control-plane outage the operator may have lost its leader-election lease (it cannot renew within the
     * renew deadline): it then exits 1 by design, like kube-controller-manager, and its Deployment starts it again;
     * here the test does what the kubelet would, for the lease's duration and then some.
     */
    private static void superviseOperator(E2eEnvironment env, String fault) throws Exception {
        java.util.OptionalInt exit = java.util.OptionalInt.empty();
        for (int i = 0; i < 30 && exit.isEmpty(); i++) {
            Thread.sleep(1000);
            exit = env.restartOperatorIfExited();
        }
        exit.ifPresent(code -> assertThat(code).as("a lost lease ends the operator with exit code 1").isEqualTo(1));
        System.err.printf("e2e: %s: the operator %s%n", fault,
                exit.isPresent() ? "lost its lease, exited " + exit.getAsInt() + " and was restarted" : "kept running");
    }

    private static String startAndWaitForTraining(E2eEnvironment env, String ns, String job) throws Exception {
        Jobs.apply(env, ns, Jobs.shortQuickstart(env.root(), job));
        env.await("attempt 1 training, status.step >= 100", Duration.ofMinutes(4), ns, job,
                () -> statusLong(env.job(ns, job).get(), "step") >= 100);
        return env.client().configMaps().inNamespace(ns).withName(job + "-spec").get().getData().get("job.yaml");
    }
}
