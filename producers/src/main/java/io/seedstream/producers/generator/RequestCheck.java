package io.seedstream.producers.generator;

import io.seedstream.schemas.avro.EvalRequest;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;

/** What makes a request impossible to answer; null when it can be answered. */
final class RequestCheck {

    static final double MAX_TEMPERATURE = 100;

    private RequestCheck() {}

    static String problem(RolloutRequest r, int maxBatchSequences, int contextLength) {
        if (r.getGroupSize() < 2) {
            return "group size was " + r.getGroupSize() + ", must be >= 2 (semantic entropy and advantages need a group)";
        }
        if (r.getGroupSize() > maxBatchSequences) {
            return "group size was " + r.getGroupSize() + ", larger than this generator's batch of "
                    + maxBatchSequences + " sequences";
        }
        SamplingParams s = r.getSampling();
        if (s == null) {
            return "no sampling parameters";
        }
        if (!(s.getTemperature() > 0 && s.getTemperature() <= MAX_TEMPERATURE)) {
            return "temperature was " + s.getTemperature() + ", must be in (0, " + MAX_TEMPERATURE + "]";
        }
        if (!(s.getTopP() > 0 && s.getTopP() <= 1)) {
            return "top-p was " + s.getTopP() + ", must be in (0, 1]";
        }
        if (s.getTopK() < 0) {
            return "top-k was " + s.getTopK() + ", must be >= 0";
        }
        return tokenBudget(s.getMaxNewTokens(), contextLength);
    }

    static String problem(EvalRequest r, int contextLength) {
        if (r.getPolicyVersion() < 0) {
            return "policy version was " + r.getPolicyVersion() + ", must be >= 0";
        }
        return tokenBudget(r.getMaxNewTokens(), contextLength);
    }

    private static String tokenBudget(int maxNewTokens, int contextLength) {
        if (maxNewTokens < 1 || maxNewTokens >= contextLength) {
            return "max new tokens was " + maxNewTokens + ", must be in [1, " + (contextLength - 1)
                    + "] (the model's context is " + contextLength + " tokens)";
        }
        return null;
    }
}
