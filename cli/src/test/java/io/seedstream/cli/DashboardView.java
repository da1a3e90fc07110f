package io.seedstream.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What the dashboard page showed in headless Chromium (Debian's chromium and chromium-driver,
 * which .ci/run installs) once it had refreshed from the API, read from the rendered DOM.
 */
public record DashboardView(String newestVersion, String newestEval, int versionPoints, int evalPoints, int lossPoints,
        int passRatePoints, String wastedShare, String selectionReasons, int promptRows, String firstPromptId,
        String firstPromptMeanings, List<String> laggingGroups) {

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String DRIVER = "/usr/bin/chromedriver";
    /** What the page shows, read in one script so that no refresh lands between two reads. */
    private static final String SNAPSHOT = """
            const text = id => document.getElementById(id).textContent;
            const points = id => {
              const box = document.getElementById(id);
              return box.querySelector('canvas') ? Number(box.dataset.points || 0) : 0;
            };
            const rows = document.querySelectorAll('#prompts tbody tr');
            const first = rows[0].querySelectorAll('td');
            return { version: text('newest-version'), eval: text('newest-eval'), rows: rows.length,
              firstId: first[0].textContent, firstMeanings: first[3].textContent,
              'chart-versions': points('chart-versions'), 'chart-eval': points('chart-eval'),
              'chart-loss': points('chart-loss'), 'chart-pass-heatmap': points('chart-pass-heatmap'),
              wasted: text('wasted-share'), reasons: text('selection-reasons'),
              groups: [...document.querySelectorAll('#consumer-lag tbody tr')].map(tr => tr.cells[0].textContent) };
            """;

    public int pointsIn(String chart) {
        return switch (chart) {
            case "chart-versions" -> versionPoints;
            case "chart-eval" -> evalPoints;
            case "chart-loss" -> lossPoints;
            case "chart-pass-heatmap" -> passRatePoints;
            default -> throw new IllegalArgumentException(chart);
        };
    }

    /** Opens the page, waits until it has drawn the run's data, saves a screenshot and reads what it shows. */
    public static DashboardView open(String url, Path screenshot) throws IOException {
        if (!Files.isExecutable(Path.of(CHROMIUM)) || !Files.isExecutable(Path.of(DRIVER))) {
            throw new IllegalStateException("the dashboard test needs Chromium: apt-get install -y chromium "
                    + "chromium-driver (.ci/run does this)");
        }
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM)
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,2200");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER))
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        try {
            driver.get(url);
            new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> Boolean.TRUE.equals(((JavascriptExecutor) d)
                    .executeScript("return document.body.dataset.refreshed !== undefined"
                            + " && document.getElementById('newest-version').textContent !== '-'"
                            + " && document.querySelector('#prompts tbody tr') !== null")));
            // the first row becomes the detail view's prompt, whose history chart is drawn too; the page
            // re-renders the table on every tick, so the row is clicked and read in the browser, not via
            // element references that a refresh makes stale
            String clicked = (String) driver.executeScript(
                    "const tr = document.querySelector('#prompts tbody tr'); tr.click(); return tr.dataset.prompt;");
            new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> Boolean.TRUE.equals(((JavascriptExecutor) d)
                    .executeScript("return !document.getElementById('prompt-detail').hidden"
                            + " && document.getElementById('detail-title').textContent.startsWith(arguments[0] + ' ')",
                            clicked)));
            Files.createDirectories(screenshot.toAbsolutePath().getParent());
            Files.write(screenshot, driver.getScreenshotAs(OutputType.BYTES));
            @SuppressWarnings("unchecked")
            Map<String, Object> shown = (Map<String, Object>) driver.executeScript(SNAPSHOT);
            return new DashboardView((String) shown.get("version"), (String) shown.get("eval"),
                    points(shown, "chart-versions"), points(shown, "chart-eval"), points(shown, "chart-loss"),
                    points(shown, "chart-pass-heatmap"), (String) shown.get("wasted"), (String) shown.get("reasons"),
                    ((Number) shown.get("rows")).intValue(), (String) shown.get("firstId"),
                    (String) shown.get("firstMeanings"), (List<String>) shown.get("groups"));
        } finally {
            driver.quit();
        }
    }

    /** Data points a chart was drawn with (the page records them), 0 when it has no canvas. */
    private static int points(Map<String, Object> shown, String chart) {
        return ((Number) shown.get(chart)).intValue();
    }
}
