package io.seedstream.producers.task;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The built-in task: seeded, deterministic arithmetic word problems with integers and fractions
 * at four levels (1: one step; 2: two integer steps; 3: fractions; 4: three steps with
 * fractions), in varied templates. Each problem has one canonical answer, the steps that solve
 * it, and a final \boxed{} form of the answer among several equal ones (3/4, \frac{3}{4}, 0.75),
 * so clustering answers by string and by meaning differ on this task. Solutions are written in
 * one of the {@link SolutionMode}s. One text in ten belongs to the evaluation split and is never
 * a training problem ({@link #isHeldOut}).
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
     * One problem text in {@value #HELD_OUT_BUCKETS} is reserved for evaluation, decided by the text
     * itself: {@link #generate} never returns one (so no supervised or RL set can hold it) and
     * {@link #heldOut} returns only those. A split on the text, not on the seed, is what keeps the
     * two apart: different seeds draw the same text often (some templates have a few thousand).
     */
    public static final int HELD_OUT_BUCKETS = 10;

    /** Whether this problem text belongs to the evaluation split. */
    public static boolean isHeldOut(String problem) {
        long h = 0xcbf29ce484222325L; // FNV-1a over the UTF-16 units, then a finaliser to spread the low bits
        for (int i = 0; i < problem.length(); i++) {
            h = (h ^ problem.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return Math.floorMod(h, HELD_OUT_BUCKETS) == 0;
    }

    /**
     * Training problems: never a held-out text.
     *
     * @param level 1..4, or 0 for an even mix of all levels
     * @return n problems, the same for the same (seed, level, n)
     */
    public static List<TaskProblem> generate(int n, long seed, int level) {
        checkLevel(level);
        SplittableRandom r = new SplittableRandom(seed);
        List<TaskProblem> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int l = level == 0 ? 1 + r.nextInt(LEVELS) : level;
            TaskProblem p = problem(r, l, "task-L" + l + "-" + seed + "-" + i);
            while (isHeldOut(p.problem())) { // redrawn at the same level, so the level mix stays even
                p = problem(r, l, p.id());
            }
            out.add(p);
        }
        return out;
    }

    private static void checkLevel(int level) {
        if (level < 0 || level > LEVELS) {
            throw new IllegalArgumentException("level must be 1.." + LEVELS + " (or 0 for a mix), was " + level);
        }
    }

    /** Held-out problems are drawn from a seed far from any training seed. */
    public static final long HELD_OUT_SEED_OFFSET = 1_000_003L;

    /**
     * n distinct held-out problems, n / 4 of each level (the training mix), each drawn as a training
     * problem of its level is and kept only when its text is in the evaluation split and not in
     * {@code exclude} (texts of other data a caller knows of, e.g. a user's prompts).
     */
    public static List<TaskProblem> heldOut(int n, long seed, Set<String> exclude) {
        List<TaskProblem> out = new ArrayList<>(n);
        Set<String> taken = new HashSet<>();
        for (int l = 1; l <= LEVELS; l++) {
            int quota = n / LEVELS + (l <= n % LEVELS ? 1 : 0);
            SplittableRandom r = new SplittableRandom(seed + HELD_OUT_SEED_OFFSET + l);
            int kept = 0;
            for (long draws = 0; kept < quota; draws++) {
                if (draws > 2000L * quota + 10_000) {
                    throw new IllegalStateException("only " + kept + " of " + quota + " distinct held-out problems of "
                            + "level " + l + " could be drawn; ask for fewer");
                }
                TaskProblem p = problem(r, l, "task-L" + l + "-" + (seed + HELD_OUT_SEED_OFFSET) + "-" + kept);
                if (isHeldOut(p.problem()) && !exclude.contains(p.problem()) && taken.add(p.problem())) {
                    out.add(p);
                    kept++;
                }
            }
        }
        return out;
    }

    /**
     * The problems with a share of them (each with probability {@code share}, from its own seeded stream so
     * that the problems do not depend on the share) offering four options, as {@link #withOptions(TaskProblem, long)}.
     */
    public static List<TaskProblem> withOptions(List<TaskProblem> problems, double share, long seed) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("the options share must be in [0, 1], was " + share);
        }
        SplittableRandom pick = new SplittableRandom(seed ^ 0x0b7_1075L);
        List<TaskProblem> out = new ArrayList<>(problems.size());
        for (TaskProblem p : problems) {
            out.add(pick.nextDouble() < share ? withOptions(p, seed) : p);
        }
        return out;
    }

    /** Whether a problem text offers options ({@link #withOptions(TaskProblem, long)}). */
    public static boolean offersOptions(String problem) {
        return problem.contains(" Options: ");
    }

    /**
     * The problem offering four options, the answer among three slips of the kind the policy makes
     * (the result off by one, by two or by ten; a fraction's numerator or denominator off by one),
     * in a seeded order: {@code ... Options: 37, 38, 48, 39.} Guessing among them pays where working
     * the problem out is hard, which is the situation semantic-entropy weighting is meant for.
     */
    public static TaskProblem withOptions(TaskProblem p, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ p.id().hashCode());
        Fraction x = p.steps().get(p.steps().size() - 1).value();
        List<Fraction> slips = new ArrayList<>();
        long[] deltas = {1, -1, 2, -2, 10, -10};
        for (long d : deltas) {
            slips.add(x.isInteger() ? Fraction.of(x.num() + d) : new Fraction(x.num() + d, x.den()));
        }
        if (!x.isInteger()) {
            slips.add(new Fraction(x.num(), x.den() + 1));
            if (x.den() > 2) {
                slips.add(new Fraction(x.num(), x.den() - 1));
            }
        }
        List<Fraction> options = new ArrayList<>(List.of(x));
        while (options.size() < 4 && !slips.isEmpty()) {
            Fraction s = slips.remove(r.nextInt(slips.size()));
            if (s.num() >= 0 && !options.contains(s)) {
                options.add(s);
            }
        }
        java.util.Collections.shuffle(options, new java.util.Random(r.nextLong()));
        String text = p.problem() + " Options: " + String.join(", ", options.stream().map(Fraction::plain).toList()) + ".";
        return new TaskProblem(p.id(), text, p.answer(), p.level(), p.steps(), p.boxed());
    }

    private static TaskProblem problem(SplittableRandom r, int level, String id) {
        Worked w = switch (level) {
            case 1 -> levelOne(r);
            case 2 -> levelTwo(r);
            case 3 -> levelThree(r);
            default -> levelFour(r);
        };
        return new TaskProblem(id, w.problem(), w.answer().plain(), level, w.steps(), form(w.answer(), r));
    }

    /** A worked solution: steps, then the boxed answer. */
    private record Worked(String problem, List<Step> steps, Fraction answer) {}

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

    private static Step step(Fraction a, char op, Fraction b, Fraction value) {
        return new Step(a, op, b, value);
    }

    private static Fraction n(long x) {
        return Fraction.of(x);
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
                        + " does " + name + " have now?", List.of(step(n(a), '+', n(b), x)), x);
            }
            case 1: {
                int big = Math.max(a, b) + 1;
                int small = Math.min(a, b);
                Fraction x = Fraction.of(big - small);
                return new Worked(name + " had " + big + " " + items + " and gave " + small + " to a friend. How many "
                        + items + " are left?", List.of(step(n(big), '-', n(small), x)), x);
            }
            case 2: {
                Fraction x = Fraction.of(a + b);
                return new Worked("A basket holds " + a + " " + items + " and a bag holds " + b + " " + items
                        + ". How many " + items + " are there altogether?", List.of(step(n(a), '+', n(b), x)), x);
            }
            default: {
                int p = between(r, 2, 9);
                int q = between(r, 2, 9);
                Fraction x = Fraction.of((long) p * q);
                return new Worked("Each box has " + p + " " + items + ". How many " + items + " are in " + name
                        + "'s " + q + " boxes?", List.of(step(n(p), '*', n(q), x)), x);
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
                        List.of(step(n(a), '*', n(b), ab), step(ab, '-', n(c), x)), x);
            }
            case 1: {
                int c = between(r, 2, 20);
                Fraction x = ab.plus(Fraction.of(c));
                return new Worked(name + "'s hall has " + a + " rows with " + b + " chairs in each row. Then " + c
                        + " more chairs are added. How many chairs are there?",
                        List.of(step(n(a), '*', n(b), ab), step(ab, '+', n(c), x)), x);
            }
            default: {
                int c = between(r, 2, 9);
                Fraction share = Fraction.of(a);
                Fraction x = share.plus(Fraction.of(c));
                return new Worked(ab.plain() + " " + items + " are shared equally by " + b + " children. Each child "
                        + "then finds " + c + " more. How many " + items + " does each child have?",
                        List.of(step(ab, '/', n(b), share), step(share, '+', n(c), x)), x);
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
                return new Worked(name + "'s rope is " + a + " meters long. It is cut into " + b + " equal pieces. "
                        + "How long is each piece, in meters?", List.of(step(n(a), '/', n(b), x)), x);
            }
            case 1: {
                Fraction p = properFraction(r);
                Fraction q = properFraction(r);
                Fraction x = p.plus(q);
                return new Worked(name + " eats " + p.plain() + " of a pie and later " + q.plain() + " of another "
                        + "pie. How many pies did " + name + " eat?", List.of(step(p, '+', q, x)), x);
            }
            default: {
                int a = between(r, 2, 12);
                Fraction p = properFraction(r);
                Fraction out = Fraction.of(a).times(p);
                Fraction x = Fraction.of(a).minus(out);
                return new Worked("A jug holds " + a + " liters of water. " + name + " pours out " + p.plain()
                        + " of it. How many liters are left in the jug?",
                        List.of(step(n(a), '*', p, out), step(n(a), '-', out, x)), x);
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
                    List.of(step(n(a), '*', n(b), ab), step(ab, '-', n(c), rest), step(rest, '/', n(d), x)),
                    x);
        }
        int a = between(r, 2, 12);
        int b = between(r, 1, 9);
        Fraction p = properFraction(r);
        Fraction total = Fraction.of(a + b);
        Fraction used = total.times(p);
        Fraction x = total.minus(used);
        return new Worked("A tank has " + a + " liters. " + name + " adds " + b + " liters, then uses " + p.plain()
                + " of the water. How many liters remain?", List.of(step(n(a), '+', n(b), total),
                        step(total, '*', p, used), step(total, '-', used, x)), x);
    }
}
