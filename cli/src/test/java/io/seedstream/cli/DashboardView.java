package io.seedstream.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What the dashboard page showed in headless Chromium (Debian's chromium and chromium-driver,
 * which .ci/run installs) once it had refreshed from the API, read from the rendered DOM.
 */
record DashboardView(String newestVersion, String newestEval, int versionPoints, int evalPoints, int lossPoints,
        int promptRows, String firstPromptId, String firstPromptMeanings) {

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String DRIVER = "/usr/bin/chromedriver";

    int pointsIn(String chart) {
        return switch (chart) {
            case "chart-versions" -> versionPoints;
            case "chart-eval" -> evalPoints;
            case "chart-loss" -> lossPoints;
            default -> throw new IllegalArgumentException(chart);
        };
    }

    /** Opens the page, waits until it has drawn the run's data, saves a screenshot and reads what it shows. */
    static DashboardView open(String url, Path screenshot) throws IOException {
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
            new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> {
                Object refreshed = ((JavascriptExecutor) d).executeScript("return document.body.dataset.refreshed");
                return refreshed != null && !d.findElement(By.id("newest-version")).getText().equals("-")
                        && !d.findElements(By.cssSelector("#prompts tbody tr")).isEmpty();
            });
            // the first row becomes the detail view's prompt: its history chart is drawn too
            driver.findElement(By.cssSelector("#prompts tbody tr")).click();
            new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> d.findElement(By.id("prompt-detail")).isDisplayed());
            Files.createDirectories(screenshot.toAbsolutePath().getParent());
            Files.write(screenshot, driver.getScreenshotAs(OutputType.BYTES));
            List<WebElement> rows = driver.findElements(By.cssSelector("#prompts tbody tr"));
            List<WebElement> first = rows.get(0).findElements(By.tagName("td"));
            return new DashboardView(driver.findElement(By.id("newest-version")).getText(),
                    driver.findElement(By.id("newest-eval")).getText(), points(driver, "chart-versions"),
                    points(driver, "chart-eval"), points(driver, "chart-loss"), rows.size(), first.get(0).getText(),
                    first.get(3).getText());
        } finally {
            driver.quit();
        }
    }

    /** Data points a chart was drawn with (the page records them), provided it has a canvas. */
    private static int points(ChromeDriver driver, String chart) {
        WebElement box = driver.findElement(By.id(chart));
        if (box.findElements(By.tagName("canvas")).isEmpty()) {
            return 0;
        }
        String n = box.getDomAttribute("data-points");
        return n == null ? 0 : Integer.parseInt(n);
    }
}
