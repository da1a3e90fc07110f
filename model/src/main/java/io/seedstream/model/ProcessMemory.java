package io.seedstream.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory as the kernel counts it ({@code /proc/self/status}), in kB; -1 off Linux. */
public final class ProcessMemory {

    private ProcessMemory() {}

    /** Resident now (VmRSS). */
    public static long residentKb() {
        return field("VmRSS:");
    }

    /** The most this process has held resident so far (VmHWM, the high-water mark). */
    public static long peakKb() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
