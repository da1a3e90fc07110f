package io.seedstream.cli.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a chaos run writes: {@code reconciliation.md} for people (the faults and the table of
 * checks) and {@code reconciliation.json} for programs (each check with its id, its verdict and
 * the counts it rests on).
 */
final class ChaosReport {

    private ChaosReport() {}

    /** The rows about the faults themselves: each recovered, and no process died on its own. */
    static void addFaultRows(ChaosReconciliation rec, List<FaultWorker.Fault> done, int planned,
            List<String> unexpectedExits) {
        Map<FaultSpec.Kind, Integer> byKind = new EnumMap<>(FaultSpec.Kind.class);
        done.forEach(f -> byKind.merge(f.kind(), 1, Integer::sum));
        List<Double> times = done.stream().filter(f -> f.recoverySeconds() != null).map(FaultWorker.Fault::recoverySeconds)
                .sorted().toList();
        long recovered = times.size();
        double worst = times.isEmpty() ? 0 : times.get(times.size() - 1);
        int n = times.size();
        double median = n == 0 ? 0 : n % 2 == 1 ? times.get(n / 2) : (times.get(n / 2 - 1) + times.get(n / 2)) / 2;
        rec.add("faults-recovered", "faults injected, each followed by a new version", planned + " faults",
                String.format(Locale.ROOT, "%d of %d recovered (%s); fault to next version median %.1f s, max %.1f s",
                        recovered, done.size(), byKind.toString().replace("=", ": "), median, worst),
                recovered == planned && done.size() == planned,
                Map.of("planned", (long) planned, "injected", (long) done.size(), "recovered", recovered));
        rec.add("unexpected-exits", "processes that died on their own", "0", unexpectedExits.isEmpty() ? "0"
                : unexpectedExits.size() + ": " + String.join("; ", unexpectedExits), unexpectedExits.isEmpty(),
                Map.of("exits", (long) unexpectedExits.size()));
    }

    static void write(Path out, String setup, double seconds, ChaosReconciliation rec, List<FaultWorker.Fault> done,
            String failure) throws IOException {
        StringBuilder md = new StringBuilder("# seedstream chaos\n\n");
        md.append(setup).append(String.format(Locale.ROOT, "; %.0f s in all.%n%n", seconds));
        md.append("| # | at (s) | fault | process (pid) | version at fault | fault to next version (s) |\n|---|---|---|---|---|---|\n");
        for (FaultWorker.Fault f : done) {
            md.append(String.format(Locale.ROOT, "| %d | %.0f | %s | %s (%d) | %d | %s |%n", f.index(), f.atSeconds(),
                    f.kind().text, f.process(), f.pid(), f.versionBefore(),
                    f.recoverySeconds() == null ? "none" : String.format(Locale.ROOT, "%.1f", f.recoverySeconds())));
        }
        md.append("\n");
        if (rec != null) {
            md.append(rec.table());
        }
        if (failure != null) {
            md.append("\nThe run failed: ").append(failure).append("\n");
        }
        Files.writeString(out.resolve("reconciliation.md"), md.toString());
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("ok", rec != null && rec.ok() && failure == null);
        root.put("failure", failure);
        root.put("seconds", seconds);
        ArrayNode fs = root.putArray("faults");
        for (FaultWorker.Fault f : done) {
            fs.addObject().put("index", f.index()).put("at_seconds", f.atSeconds()).put("kind", f.kind().name())
                    .put("process", f.process()).put("pid", f.pid()).put("version_before", f.versionBefore())
                    .put("recovery_seconds", f.recoverySeconds());
        }
        ArrayNode cs = root.putArray("checks");
        if (rec != null) {
            for (ChaosReconciliation.Check ch : rec.checks()) {
                ObjectNode o = cs.addObject().put("id", ch.id()).put("what", ch.what()).put("expected", ch.expected())
                        .put("found", ch.found()).put("ok", ch.ok());
                ObjectNode counts = o.putObject("counts");
                new java.util.TreeMap<>(ch.counts()).forEach(counts::put);
            }
        }
        json.writeValue(out.resolve("reconciliation.json").toFile(), root);
    }
}
