//! The `crm` program: [`crm_cli::run`] over the process's arguments, stdout and stderr.

fn main() {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let code = crm_cli::run(std::env::args_os(), &mut out, &mut err);
    let _ = std::io::Write::flush(&mut out);
    drop(out);
    std::process::exit(code);
}
