use std::io::{self, Write};

use clap::Parser;

use certcheck::cli::Cli;
use certcheck::config::{Config, Env, Format, Mode};
use certcheck::exit::{self, ExitCode};
use certcheck::render::{self, Style};
use certcheck::{app, demo};

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
    let mut out = io::stdout().lock();
    match config.mode {
        Mode::Check | Mode::Inspect(_) => {
            let report = app::run(config)?;
            render::render(&report, config.format, style, &mut out)?;
            Ok(exit::for_report(&report))
        }
        Mode::Demo => {
            let run = demo::run(config, app::load_stores(config))?;
            render::render(&run.report, config.format, style, &mut out)?;
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

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
