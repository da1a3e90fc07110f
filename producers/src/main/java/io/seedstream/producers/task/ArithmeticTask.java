package io.seedstream.producers.task;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The built-in task: seeded, deterministic arithmetic word problems with integers and fractions
 * at four levels (1: one step; 2: two integer steps; 3: fractions; 4: three steps with
 * fractions), in varied templates. Each problem has one canonical answer and a worked solution
 * whose final \boxed{} writes the answer in one of several equal forms (3/4, \frac{3}{4}, 0.75),
 * so clustering answers by string and by meaning differ on this task.
 */
public final class ArithmeticTask {

    public static final int LEVELS = 4;

    /** Every character problems and solutions use; the task's tokenizer knows these. */
    public static final String ALPHABET =
            " \nabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,?!'\":;()-+*/=\\{}$%<>^_[]|&#@~`";

    private static final String[] NAMES = {"Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun",
        "Kai", "Lea", "Milo", "Nia", "Omar", "Pia"};
    private static final String[] ITEMS = {"apples", "marbles", "stickers", "pencils", "cookies", "shells", "stamps",
        "beads", "cards", "books"};

    private ArithmeticTask() {}

    /** The prompt the policy sees for a problem (the eval command and the generators use the same). */
    public static String prompt(String problem) {
        return "Q: " + problem + "\nA:";
    }

    /**
     * @param level 1..4, or 0 for an even mix of all levels
     * @return n problems, the same for the same (seed, level, n)
     */
    public static List<TaskProblem> generate(int n, long seed, int level) {
        if (level < 0 || level > LEVELS) {
            throw new IllegalArgumentException("level must be 1.." + LEVELS + " (or 0 for a mix), was " + level);
        }
        SplittableRandom r = new SplittableRandom(seed);
        List<TaskProblem> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int l = level == 0 ? 1 + r.nextInt(LEVELS) : level;
            out.add(problem(r, l, "task-L" + l + "-" + seed + "-" + i));
        }
        return out;
    }

    /** Held-out problems come from a seed far from any training seed, minus any text seen in training. */
    public static final long HELD_OUT_SEED_OFFSET = 1_000_003L;

    /** n held-out problems for training seed {@code seed}: none has a problem text in {@code seen}. */
    public static List<TaskProblem> heldOut(int n, long seed, java.util.Set<String> seen) {
        List<TaskProblem> out = new ArrayList<>();
        for (TaskProblem p : generate(n * 3, seed + HELD_OUT_SEED_OFFSET, 0)) {
            if (!seen.contains(p.problem()) && out.size() < n) {
                out.add(p);
            }
        }
        return out;
    }

    /** A worked solution: steps, then the boxed answer. */
    private record Worked(String problem, List<String> steps, Fraction answer) {}

    private static TaskProblem problem(SplittableRandom r, int level, String id) {
        Worked w;
        switch (level) {
            case 1:
                w = levelOne(r);
                break;
            case 2:
                w = levelTwo(r);
                break;
            case 3:
                w = levelThree(r);
                break;
            default:
                w = levelFour(r);
        }
        String solution = String.join(" ", w.steps()) + " \\boxed{" + form(w.answer(), r) + "}";
        return new TaskProblem(id, w.problem(), w.answer().plain(), solution, level);
    }

    /** One of the equal ways to write the answer. */
    static String form(Fraction x, SplittableRandom r) {
        if (x.isInteger()) {
            return r.nextInt(6) == 0 ? x.num() + ".0" : x.plain();
        }
        int k = r.nextInt(x.hasFiniteDecimal() ? 3 : 2);
        return k == 0 ? x.plain() : k == 1 ? x.latex() : x.decimal();
    }

    private static String pick(String[] xs, SplittableRandom r) {
        return xs[r.nextInt(xs.length)];
    }

    private static int between(SplittableRandom r, int lo, int hi) {
        return lo + r.nextInt(hi - lo + 1);
    }

    private static String step(String expr, Fraction value) {
        return expr + "=" + value.plain() + ".";
    }

    private static Worked levelOne(SplittableRandom r) {
        String name = pick(NAMES, r);
        String items = pick(ITEMS, r);
        int a = between(r, 2, 20);
        int b = between(r, 2, 20);
        switch (r.nextInt(4)) {
            case 0: {
                Fraction x = Fraction.of(a + b);
                return new Worked(name + " has " + a + " " + items + " and buys " + b + " more. How many " + items
                        + " does " + name + " have now?", List.of(step(a + "+" + b, x)), x);
            }
            case 1: {
                int big = Math.max(a, b) + 1;
                int small = Math.min(a, b);
                Fraction x = Fraction.of(big - small);
                return new Worked(name + " had " + big + " " + items + " and gave " + small + " to a friend. How many "
                        + items + " are left?", List.of(step(big + "-" + small, x)), x);
            }
            case 2: {
                Fraction x = Fraction.of(a + b);
                return new Worked("A basket holds " + a + " " + items + " and a bag holds " + b + " " + items
                        + ". How many " + items + " are there altogether?", List.of(step(a + "+" + b, x)), x);
            }
            default: {
                int p = between(r, 2, 9);
                int q = between(r, 2, 9);
                Fraction x = Fraction.of((long) p * q);
                return new Worked("Each box has " + p + " " + items + ". How many " + items + " are in " + q
                        + " boxes?", List.of(step(p + "*" + q, x)), x);
            }
        }
    }

    private static Worked levelTwo(SplittableRandom r) {
        String name = pick(NAMES, r);
        String items = pick(ITEMS, r);
        int a = between(r, 2, 9);
        int b = between(r, 2, 9);
        Fraction ab = Fraction.of((long) a * b);
        switch (r.nextInt(3)) {
            case 0: {
                int c = between(r, 1, a * b - 1);
                Fraction x = ab.minus(Fraction.of(c));
                return new Worked(name + " buys " + a + " packs of " + b + " " + items + " and gives away " + c
                        + " of them. How many " + items + " are left?",
                        List.of(step(a + "*" + b, ab), step(ab.plain() + "-" + c, x)), x);
            }
            case 1: {
                int c = between(r, 2, 20);
                Fraction x = ab.plus(Fraction.of(c));
                return new Worked("There are " + a + " rows with " + b + " chairs in each row. Then " + c
                        + " more chairs are added. How many chairs are there?",
                        List.of(step(a + "*" + b, ab), step(ab.plain() + "+" + c, x)), x);
            }
            default: {
                int c = between(r, 2, 9);
                Fraction share = Fraction.of(a);
                Fraction x = share.plus(Fraction.of(c));
                return new Worked(ab.plain() + " " + items + " are shared equally by " + b + " children. Each child "
                        + "then finds " + c + " more. How many " + items + " does each child have?",
                        List.of(step(ab.plain() + "/" + b, share), step(share.plain() + "+" + c, x)), x);
            }
        }
    }

    private static Fraction properFraction(SplittableRandom r) {
        int q = between(r, 2, 8);
        return new Fraction(between(r, 1, q - 1), q);
    }

    private static Worked levelThree(SplittableRandom r) {
        String name = pick(NAMES, r);
        switch (r.nextInt(3)) {
            case 0: {
                int a = between(r, 2, 30);
                int b = between(r, 2, 8);
                Fraction x = Fraction.of(a).dividedBy(Fraction.of(b));
                return new Worked("A rope is " + a + " meters long. It is cut into " + b + " equal pieces. How long "
                        + "is each piece, in meters?", List.of(step(a + "/" + b, x)), x);
            }
            case 1: {
                Fraction p = properFraction(r);
                Fraction q = properFraction(r);
                Fraction x = p.plus(q);
                return new Worked(name + " eats " + p.plain() + " of a pie and later " + q.plain() + " of another "
                        + "pie. How many pies did " + name + " eat?", List.of(step(p.plain() + "+" + q.plain(), x)), x);
            }
            default: {
                int a = between(r, 2, 12);
                Fraction p = properFraction(r);
                Fraction out = Fraction.of(a).times(p);
                Fraction x = Fraction.of(a).minus(out);
                return new Worked("A jug holds " + a + " liters of water. " + name + " pours out " + p.plain()
                        + " of it. How many liters are left in the jug?",
                        List.of(step(a + "*" + p.plain(), out), step(a + "-" + out.plain(), x)), x);
            }
        }
    }

    private static Worked levelFour(SplittableRandom r) {
        String name = pick(NAMES, r);
        if (r.nextBoolean()) {
            int a = between(r, 2, 9);
            int b = between(r, 2, 9);
            int c = between(r, 1, a * b - 1);
            int d = between(r, 2, 6);
            Fraction ab = Fraction.of((long) a * b);
            Fraction rest = ab.minus(Fraction.of(c));
            Fraction x = rest.dividedBy(Fraction.of(d));
            return new Worked(name + " earns " + a + " dollars a day for " + b + " days, spends " + c + " dollars, "
                    + "and splits the rest equally among " + d + " jars. How many dollars go in each jar?",
                    List.of(step(a + "*" + b, ab), step(ab.plain() + "-" + c, rest), step(rest.plain() + "/" + d, x)),
                    x);
        }
        int a = between(r, 2, 12);
        int b = between(r, 1, 9);
        Fraction p = properFraction(r);
        Fraction total = Fraction.of(a + b);
        Fraction used = total.times(p);
        Fraction x = total.minus(used);
        return new Worked("A tank has " + a + " liters. " + name + " adds " + b + " liters, then uses " + p.plain()
                + " of the water. How many liters remain?", List.of(step(a + "+" + b, total),
                        step(total.plain() + "*" + p.plain(), used), step(total.plain() + "-" + used.plain(), x)), x);
    }
}
