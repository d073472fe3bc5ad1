use std::io::{self, Write};

use clap::Parser;

use certcheck::cli::Cli;
use certcheck::config::{Config, Env, Format, Mode};
use certcheck::exit::{self, ExitCode};
use certcheck::render::{self, Style};
use certcheck::report::metrics::Metrics;
use certcheck::{demo, run as modes};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_cli(cli, Env::from_process()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("certcheck: {err}");
            return ExitCode::Usage.into();
        }
    };
    match run(&config) {
        Ok(code) => code.into(),
        Err(err) if is_broken_pipe(&err) => ExitCode::Ok.into(),
        Err(err) => {
            eprintln!("certcheck: {err:#}");
            ExitCode::Usage.into()
        }
    }
}

fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let style = Style::detect(config.color);
    let mut out = io::BufWriter::new(io::stdout().lock());
    match &config.mode {
        Mode::Check | Mode::Inspect(_) if config.format.streams() => {
            // Nothing is kept but what the output needs: a line is written as each result
            // completes; Prometheus's exposition groups each metric, so a few numbers per target
            // are kept until the end.
            let progress = progress_bar(config);
            let mut stream_error = None;
            let mut metrics = Metrics::new();
            let code = modes::run_streaming(config, &mut |result| {
                if let Some(bar) = &progress {
                    bar.inc(1);
                }
                match config.format {
                    Format::Prometheus => metrics.push(result),
                    _ if stream_error.is_none() => {
                        stream_error = render::json::write_line(result, &mut out).err();
                    }
                    _ => {}
                }
            })?;
            if let Some(bar) = progress {
                bar.finish_and_clear();
            }
            if let Some(err) = stream_error {
                return Err(err.into());
            }
            if config.format == Format::Prometheus {
                render::prometheus::write(&metrics, &mut out)?;
            }
            out.flush()?;
            Ok(code)
        }
        Mode::Serve(options) => {
            modes::serve::serve(config, options, &mut |addr| {
                eprintln!(
                    "certcheck serve: listening on http://{addr}/ (GET /probe?target=HOST:PORT, /metrics)"
                );
            })?;
            Ok(ExitCode::Ok)
        }
        Mode::Check | Mode::Inspect(_) => {
            let progress = progress_bar(config);
            let mut stream_error = None;
            let report = modes::run(config, &mut |result| {
                if let Some(bar) = &progress {
                    bar.inc(1);
                }
                if config.format == Format::Jsonl && stream_error.is_none() {
                    stream_error = render::json::write_line(result, &mut out).err();
                }
            })?;
            if let Some(bar) = progress {
                bar.finish_and_clear();
            }
            if let Some(err) = stream_error {
                return Err(err.into());
            }
            render::render(&report, config.format, style, config.verbose, &mut out)?;
            out.flush()?;
            let code = exit::for_report(&report);
            // The process ends now: freeing a large report piece by piece is wasted time.
            std::mem::forget(report);
            Ok(code)
        }
        Mode::Stores => {
            let report = modes::stores::stores_report(config);
            render::render_stores(&report, config.format, style, &mut out)?;
            Ok(ExitCode::Ok)
        }
        Mode::Demo => {
            let run = demo::run(config, modes::load_stores(config))?;
            render::render(&run.report, config.format, style, true, &mut out)?;
            if config.format == Format::Human {
                render::human::write_demo(&run.outcomes, style, &mut out)?;
            }
            out.flush()?;
            Ok(if run.outcomes.iter().all(|o| o.passed) {
                ExitCode::Ok
            } else {
                ExitCode::Untrusted
            })
        }
    }
}

/// A progress bar on stderr, only on a terminal and only for several targets.
fn progress_bar(config: &Config) -> Option<indicatif::ProgressBar> {
    let count = match &config.mode {
        Mode::Inspect(options) => options.files.len(),
        _ => config.job_count()?,
    };
    if !config.env.stderr_is_terminal || count < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(count as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} targets checked ({elapsed})")
    {
        bar.set_style(style);
    }
    Some(bar)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
