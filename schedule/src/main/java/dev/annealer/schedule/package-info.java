/** Closed-form learning-rate schedules: constant, cosine and SGDR (cosine with warm restarts). */
package dev.annealer.schedule;
