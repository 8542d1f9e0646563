package dev.annealer.trainer.data;

/**
 * One text record of a Hugging Face job.
 *
 * @param text the text column, or null (prompt + completion jobs)
 * @param prompt the prompt column, or null
 * @param completion the completion column, or null
 * @param label the label (a class index for classification, a real number for regression), NaN for causalLM
 */
public record TextRecord(String text, String prompt, String completion, double label) {}
