package io.seedstream.producers.dispatch;

import io.seedstream.producers.prompts.PromptLine;
import io.seedstream.producers.prompts.PromptLoader;
import io.seedstream.producers.task.ArithmeticTask;
import io.seedstream.producers.task.TaskProblem;
import io.seedstream.schemas.avro.Prompt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** A benchmark the dispatcher schedules evaluation rounds on: its name and its prompts. */
record EvalSet(String benchmark, List<Prompt> prompts) {

    static final String HELD_OUT = DispatcherConfig.HELD_OUT_BENCHMARK;

    /** A JSONL file of problems with answers; the benchmark is the file's name. */
    static EvalSet read(Path file) throws IOException {
        String benchmark = PromptLoader.datasetOf(file);
        List<Prompt> prompts = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            try {
                prompts.add(PromptLine.parse(line, benchmark));
            } catch (PromptLine.MalformedLineException e) {
                throw new IOException(file + " line " + n + ": " + e.getMessage(), e);
            }
        }
        if (prompts.isEmpty()) {
            throw new IOException(file + " has no problems");
        }
        return new EvalSet(benchmark, prompts);
    }

    /** The built-in task's held-out problems: none has the text of a training prompt. */
    static EvalSet heldOut(int n, long trainingSeed, Set<String> trainingTexts) {
        List<Prompt> prompts = new ArrayList<>();
        for (TaskProblem p : ArithmeticTask.heldOut(n, trainingSeed, trainingTexts)) {
            prompts.add(p.toPrompt(HELD_OUT + "-" + p.id(), HELD_OUT));
        }
        return new EvalSet(HELD_OUT, prompts);
    }
}
