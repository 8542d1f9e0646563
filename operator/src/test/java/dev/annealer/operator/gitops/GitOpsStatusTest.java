package dev.annealer.operator.gitops;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.decide.DeciderTestAccess;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Flux (kstatus) and Argo CD (the chart's Lua health check, run by gopher-lua like Argo CD does) conclude from
 * a FineTuneJob in each state {@code decide()} can put it in. The fixtures are written to
 * {@code target/gitops-fixtures.json}; GitOpsE2E checks the same verdicts on objects read from the devcluster.
 */
class GitOpsStatusTest {

    /** state -> {kstatus, Argo CD health}. */
    static final Map<String, String[]> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("pending", new String[] {"InProgress", "Progressing"});
        EXPECTED.put("gated", new String[] {"InProgress", "Progressing"});
        EXPECTED.put("rejected", new String[] {"Failed", "Degraded"});
        EXPECTED.put("running", new String[] {"Current", "Progressing"});
        EXPECTED.put("generation-not-observed", new String[] {"InProgress", "Progressing"});
        EXPECTED.put("preempted", new String[] {"InProgress", "Progressing"});
        EXPECTED.put("backing-off", new String[] {"InProgress", "Progressing"});
        EXPECTED.put("suspending", new String[] {"InProgress", "Progressing"});
        EXPECTED.put("suspended", new String[] {"InProgress", "Suspended"}); // kstatus: Ready=False
        EXPECTED.put("pod-refused", new String[] {"Failed", "Degraded"});
        EXPECTED.put("succeeded", new String[] {"Current", "Healthy"});
        EXPECTED.put("failed", new String[] {"Failed", "Degraded"});
    }

    static StatusCheckTool tool;
    static String fixtures;

    @BeforeAll
    static void fixtures() throws Exception {
        tool = StatusCheckTool.locate(Path.of("..").toAbsolutePath().normalize());
        List<FineTuneJob> jobs = new ArrayList<>();
        for (String state : EXPECTED.keySet()) {
            FineTuneJob j = DeciderTestAccess.jobIn(state);
            j.getMetadata().setName(state);
            jobs.add(j);
        }
        fixtures = Serialization.asJson(jobs);
        Files.writeString(Files.createDirectories(Path.of("target")).resolve("gitops-fixtures.json"), fixtures);
    }

    @Test
    void kstatusSeesPendingAsInProgressRunningAsCurrentAndFailedOrRejectedAsFailed() throws Exception {
        List<StatusCheckTool.Verdict> v = tool.kstatus(fixtures);
        assertThat(v).extracting(StatusCheckTool.Verdict::name).containsExactlyElementsOf(EXPECTED.keySet());
        for (StatusCheckTool.Verdict x : v) {
            assertThat(x.status()).as("kstatus of a %s job (%s)", x.name(), x.message()).isEqualTo(EXPECTED.get(x.name())[0]);
        }
        assertThat(v.stream().filter(x -> x.name().equals("rejected")).findFirst().orElseThrow().message())
                .as("kstatus passes the Stalled message on").contains("spec.schedule.maxCycles");
    }

    @Test
    void theArgoCdHealthCheckFollowsArgoCdsJobConvention() throws Exception {
        List<StatusCheckTool.Verdict> v = tool.argoHealth(fixtures);
        assertThat(v).extracting(StatusCheckTool.Verdict::name).containsExactlyElementsOf(EXPECTED.keySet());
        for (StatusCheckTool.Verdict x : v) {
            assertThat(x.status()).as("Argo CD health of a %s job (%s)", x.name(), x.message())
                    .isEqualTo(EXPECTED.get(x.name())[1]);
            assertThat(x.message()).as("message of %s", x.name()).isNotBlank();
        }
        Map<String, String> messages = new LinkedHashMap<>();
        v.forEach(x -> messages.put(x.name(), x.message()));
        assertThat(messages.get("running")).startsWith("training at step 4321, cycle 1, lr 0.00021");
        assertThat(messages.get("failed")).startsWith("InvalidSpec: ");
        assertThat(messages.get("rejected")).startsWith("ScheduleExceedsBudget: ");
        assertThat(messages.get("succeeded")).contains("model at pvc://");
        assertThat(messages.get("generation-not-observed")).contains("generation 2");
    }

    @Test
    void aJobWithoutStatusIsProgressingForArgoCd() throws Exception {
        FineTuneJob fresh = DeciderTestAccess.jobIn("pending");
        fresh.setStatus(null);
        assertThat(tool.argoHealth(Serialization.asJson(fresh))).singleElement()
                .satisfies(x -> assertThat(x.status()).isEqualTo("Progressing"));
    }
}
