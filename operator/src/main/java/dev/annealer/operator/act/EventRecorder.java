package dev.annealer.operator.act;

import dev.annealer.api.v1alpha1.FineTuneJob;
import dev.annealer.operator.decide.JobEvent;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** Writes core/v1 Events on the FineTuneJob. Best effort: an event that cannot be written is logged, not retried. */
public class EventRecorder {

    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    public static final String COMPONENT = "annealer-operator";
    private static final AtomicLong SEQ = new AtomicLong();

    private final KubernetesClient client;

    public EventRecorder(KubernetesClient client) {
        this.client = client;
    }

    public void record(FineTuneJob job, JobEvent e, Instant now) {
        String msg = e.message().length() > 1024 ? e.message().substring(0, 1021) + "..." : e.message();
        Event event = new EventBuilder()
                .withNewMetadata().withName(job.getMetadata().getName() + "." + Long.toHexString(now.toEpochMilli())
                        + Long.toHexString(SEQ.incrementAndGet())).withNamespace(job.getMetadata().getNamespace()).endMetadata()
                .withNewInvolvedObject().withApiVersion(FineTuneJob.API_VERSION).withKind(FineTuneJob.KIND)
                .withName(job.getMetadata().getName()).withNamespace(job.getMetadata().getNamespace())
                .withUid(job.getMetadata().getUid()).withResourceVersion(job.getMetadata().getResourceVersion())
                .endInvolvedObject()
                .withType(e.type()).withReason(e.reason()).withMessage(msg)
                .withFirstTimestamp(now.toString()).withLastTimestamp(now.toString()).withCount(1)
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .build();
        try {
            client.v1().events().inNamespace(job.getMetadata().getNamespace()).resource(event).create();
        } catch (RuntimeException ex) {
            LOG.warnf("could not record event %s on %s/%s: %s", e.reason(), job.getMetadata().getNamespace(),
                    job.getMetadata().getName(), ex.getMessage());
        }
    }
}
