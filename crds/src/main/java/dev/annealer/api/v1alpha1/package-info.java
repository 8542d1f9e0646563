/**
 * The {@code FineTuneJob} API, group {@code annealer.dev}, version {@code v1alpha1}: a fabric8 model (no Quarkus)
 * shared by the operator, the trainer and the CLI. The CRD under {@code crds/} is generated from these classes.
 *
 * <p>Conventions: fields are nullable boxed types; an absent field means "use the default" written in its
 * description (and, where the API server can apply it, in the CRD's {@code default}). Validation that the OpenAPI
 * schema and CEL can express lives here as annotations; semantic checks (does the schedule fit the budget?) are
 * the operator's admission step.
 */
package dev.annealer.api.v1alpha1;
