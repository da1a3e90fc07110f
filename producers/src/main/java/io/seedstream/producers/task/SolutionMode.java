package io.seedstream.producers.task;

/**
 * The behaviours the task's warm start is taught, each opening with its own label so that the
 * choice is one early decision that RL can move for every problem at once (docs/learning.md).
 */
public enum SolutionMode {
    /** {@code Answer: \boxed{43}}: no working; a tiny policy gets multi-step problems wrong this way. */
    DIRECT("Answer:"),
    /** {@code Steps: 7*8=56. 56-13=43. \boxed{43}}. */
    STEPS("Steps:"),
    /** {@code Careful: 7*8=56. 56-13: 56-10=46. 46-3=43. \boxed{43}}: two-digit additions and subtractions in parts. */
    CAREFUL("Careful:"),
    /**
     * {@code Calc: <calc>7*8</calc><result>56</result> <calc>56-13</calc><result>43</result> \boxed{43}}: each
     * step asked of the calculator. Taught with the results written out; with {@code generator.tools=calculator}
     * the generator stops at each {@code </calc>} and appends the calculator's exact reply instead.
     */
    CALC("Calc:");

    private final String label;

    SolutionMode(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
