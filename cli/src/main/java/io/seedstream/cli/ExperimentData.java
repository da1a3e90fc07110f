package io.seedstream.cli;

import java.util.List;

/** What one run of one arm with one seed measured, as the experiment's CSV files hold it. */
final class ExperimentData {

    private ExperimentData() {}

    /** One training step (policy version {@code step}), from the trainer's step metrics and its batch in the log. */
    record Step(String arm, int seed, long step, double wallSeconds, double meanReward, double meanEntropy,
            double scaleMean, double scaleP10, double scaleP50, double scaleP90, double scaleMin, double scaleMax,
            double meanClusters, double meanStaleness, double loss, double referenceKl, double stepSeconds,
            double waitFraction, long tokens) {

        static final String HEADER = "arm,seed,step,wall_s,mean_reward,mean_se,scale_mean,scale_p10,scale_p50,"
                + "scale_p90,scale_min,scale_max,mean_clusters,mean_staleness,loss,reference_kl,step_s,wait_fraction,tokens";

        String csv() {
            return Csv.row(arm, seed, step, wallSeconds, meanReward, meanEntropy, scaleMean, scaleP10, scaleP50,
                    scaleP90, scaleMin, scaleMax, meanClusters, meanStaleness, loss, referenceKl, stepSeconds,
                    waitFraction, tokens);
        }
    }

    /** Greedy pass@1 of one policy version on the held-out set, graded by the topology. */
    record Eval(String arm, int seed, long version, double wallSeconds, long answered, long correct) {

        static final String HEADER = "arm,seed,version,wall_s,answered,correct,accuracy";

        double accuracy() {
            return answered == 0 ? Double.NaN : (double) correct / answered;
        }

        String csv() {
            return Csv.row(arm, seed, version, wallSeconds, answered, correct, accuracy());
        }
    }

    /**
     * A whole run: how far it got in what wall time, and how busy each stage was.
     *
     * @param wallSeconds from the loop's start to the end of training (evaluations of the last version not included)
     * @param firstStepSeconds from the loop's start to the first step (start-up, first batch, first held-out round)
     * @param generatorBusy the generator's sampling time over the wall time
     * @param trainerBusy the trainer's step time over the wall time
     * @param ended why the training stopped (step limit, time limit, or a stage's failure)
     */
    record Run(String arm, int seed, String settings, long steps, double wallSeconds, double firstStepSeconds, long groups, long sampledTokens,
            long trainedTokens, double generatorBusy, double trainerBusy, long rejectedStale, String ended) {

        static final String HEADER = "arm,seed,settings,steps,wall_s,first_step_s,versions_per_min,groups,sampled_tokens_per_s,"
                + "trained_tokens_per_s,generator_busy,trainer_busy,rejected_stale,ended";

        /** After the first step, so that start-up (and the JVM's warm-up in an experiment's first run) does not count. */
        double versionsPerMinute() {
            double t = wallSeconds - firstStepSeconds;
            return steps < 2 || t <= 0 ? Double.NaN : (steps - 1) * 60.0 / t;
        }

        double sampledTokensPerSecond() {
            return wallSeconds <= 0 ? 0 : sampledTokens / wallSeconds;
        }

        double trainedTokensPerSecond() {
            return wallSeconds <= 0 ? 0 : trainedTokens / wallSeconds;
        }

        String csv() {
            return Csv.row(arm, seed, settings, steps, wallSeconds, firstStepSeconds, versionsPerMinute(), groups, sampledTokensPerSecond(),
                    trainedTokensPerSecond(), generatorBusy, trainerBusy, rejectedStale, ended);
        }
    }

    /** Everything one run measured. */
    record ArmResult(Run run, List<Step> steps, List<Eval> evals) {}

    /** RFC 4180 rows: numbers as they are, text quoted when it must be. */
    static final class Csv {

        private Csv() {}

        static String row(Object... cells) {
            StringBuilder b = new StringBuilder();
            for (Object c : cells) {
                if (b.length() > 0) {
                    b.append(',');
                }
                if (c instanceof Double d) {
                    b.append(d.isNaN() ? "" : String.format(java.util.Locale.ROOT, "%.6g", d));
                } else {
                    String s = String.valueOf(c);
                    b.append(s.matches("[^,\"\\n\\r]*") ? s : '"' + s.replace("\"", "\"\"") + '"');
                }
            }
            return b.toString();
        }
    }
}
