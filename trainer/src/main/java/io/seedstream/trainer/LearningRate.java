package io.seedstream.trainer;

import java.util.Locale;

/**
 * The learning rate at a step: constant by default; optionally a linear warmup followed by a
 * constant, linear-decay or cosine-decay phase down to zero at {@code totalSteps}.
 */
public record LearningRate(double peak, Schedule schedule, int warmupSteps, int totalSteps) {

    public enum Schedule {
        CONSTANT, LINEAR, COSINE;

        public static Schedule parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown learning-rate schedule '" + s + "' (constant, linear, cosine)");
            }
        }
    }

    public LearningRate {
        if (!(peak > 0) || warmupSteps < 0 || totalSteps < 0) {
            throw new IllegalArgumentException("learning rate must be > 0, warmup and total steps >= 0");
        }
        if (schedule != Schedule.CONSTANT && totalSteps <= warmupSteps) {
            throw new IllegalArgumentException(schedule + " decay needs total steps > warmup steps");
        }
    }

    public static LearningRate constant(double lr) {
        return new LearningRate(lr, Schedule.CONSTANT, 0, 0);
    }

    /** @param step 0-based index of the update about to be applied */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        if (schedule == Schedule.CONSTANT) {
            return peak;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        return schedule == Schedule.LINEAR ? peak * (1 - progress) : peak * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
