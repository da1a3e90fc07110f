package io.seedstream.streams.grading;

/** A complex number in double precision, for evaluating expressions numerically. */
record Complex(double re, double im) {

    static final Complex ZERO = new Complex(0, 0);
    static final Complex ONE = new Complex(1, 0);
    static final Complex I = new Complex(0, 1);

    static Complex real(double x) {
        return new Complex(x, 0);
    }

    Complex add(Complex o) {
        return new Complex(re + o.re, im + o.im);
    }

    Complex subtract(Complex o) {
        return new Complex(re - o.re, im - o.im);
    }

    Complex multiply(Complex o) {
        return new Complex(re * o.re - im * o.im, re * o.im + im * o.re);
    }

    Complex divide(Complex o) {
        double d = o.re * o.re + o.im * o.im;
        return new Complex((re * o.re + im * o.im) / d, (im * o.re - re * o.im) / d);
    }

    Complex negate() {
        return new Complex(-re, -im);
    }

    double abs() {
        return Math.hypot(re, im);
    }

    boolean isReal() {
        return Math.abs(im) <= 1e-12 * Math.max(1, Math.abs(re));
    }

    boolean isFinite() {
        return Double.isFinite(re) && Double.isFinite(im);
    }

    Complex exp() {
        double m = Math.exp(re);
        return new Complex(m * Math.cos(im), m * Math.sin(im));
    }

    Complex log() {
        return new Complex(Math.log(abs()), Math.atan2(im, re));
    }

    Complex pow(Complex e) {
        if (e.im == 0 && im == 0) {
            double p = Math.pow(re, e.re);
            if (!Double.isNaN(p)) {
                return real(p);
            }
        }
        if (re == 0 && im == 0) {
            return e.re > 0 ? ZERO : new Complex(Double.NaN, Double.NaN);
        }
        return e.multiply(log()).exp();
    }

    Complex sqrt() {
        if (im == 0 && re >= 0) {
            return real(Math.sqrt(re));
        }
        return pow(real(0.5));
    }

    Complex sin() {
        return new Complex(Math.sin(re) * Math.cosh(im), Math.cos(re) * Math.sinh(im));
    }

    Complex cos() {
        return new Complex(Math.cos(re) * Math.cosh(im), -Math.sin(re) * Math.sinh(im));
    }
}
