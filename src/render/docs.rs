//! `certcheck completions SHELL` and `certcheck man`: generated from the clap definition, so they
//! always name every subcommand and flag `--help` does.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::cli::{Cli, CompletionShell};

/// Writes the completion script for `shell`.
pub fn write_completions(shell: CompletionShell, out: &mut dyn Write) -> io::Result<()> {
    let shell = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
        CompletionShell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "certcheck", out);
    out.flush()
}

/// Writes the manual page (roff), with a section for each subcommand.
pub fn write_man(out: &mut dyn Write) -> io::Result<()> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let full = format!("certcheck {}", sub.get_name());
        writeln!(out, ".SH \"{}\"", roff_text(&full.to_uppercase()))?;
        let about = sub
            .get_long_about()
            .or_else(|| sub.get_about())
            .map(|a| a.to_string())
            .unwrap_or_default();
        writeln!(out, "{}", roff_text(&about))?;
        for arg in sub.get_arguments() {
            if arg.is_hide_set() || arg.is_global_set() {
                continue;
            }
            let name = match (arg.get_long(), arg.get_value_names()) {
                (Some(long), Some(values)) => format!("--{long} {}", values.join(" ")),
                (Some(long), None) => format!("--{long}"),
                (None, Some(values)) => values.join(" "),
                (None, None) => arg.get_id().to_string(),
            };
            writeln!(out, ".TP\n\\fB{}\\fR", roff_text(&name))?;
            let help = arg
                .get_long_help()
                .or_else(|| arg.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            writeln!(out, "{}", roff_text(&help))?;
        }
    }
    man.render_extra_section(out)?;
    man.render_version_section(out)?;
    out.flush()
}

/// Text safe in a roff paragraph: backslashes escaped, no line starting with `.` or `'`.
fn roff_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .lines()
        .map(|line| {
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
