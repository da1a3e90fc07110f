package io.seedstream.model;

import java.util.ArrayList;
import java.util.List;

/** The median of repeated measurements, the figure every benchmark quotes on these noisy machines. */
public final class Median {

    private Median() {}

    /** The median (the mean of the middle two for an even count). */
    public static double of(List<Double> xs) {
        if (xs.isEmpty()) {
            throw new IllegalArgumentException("no measurements");
        }
        List<Double> s = new ArrayList<>(xs);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
