//! What the terminal commands (`chat`, `chat --openai`) share: Ctrl-C presses, and the
//! next line typed.

use std::io::Write;

use tokio::io::AsyncBufRead;

/// Ctrl-C presses, when the command catches them.
pub(crate) struct Interrupts(Option<tokio::sync::mpsc::UnboundedReceiver<()>>);

impl Interrupts {
    pub(crate) fn new(catch: bool) -> Self {
        if !catch {
            return Self(None);
        }
        let (pressed, presses) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                if pressed.send(()).is_err() {
                    return;
                }
            }
        });
        Self(Some(presses))
    }

    /// The next press (never, when not caught).
    pub(crate) async fn next(&mut self) {
        match &mut self.0 {
            Some(presses) => {
                presses.recv().await;
            }
            None => std::future::pending().await,
        }
    }
}

/// The next line typed (blank lines skipped), prompted with `you> ` at a terminal and
/// echoed after it when piped; `None` when the input ends or Ctrl-C is pressed.
pub(crate) async fn next_line<R, W>(
    lines: &mut tokio::io::Lines<R>,
    interrupts: &mut Interrupts,
    interactive: bool,
    out: &mut W,
) -> std::io::Result<Option<String>>
where
    R: AsyncBufRead + Unpin,
    W: Write,
{
    loop {
        if interactive {
            write!(out, "you> ")?;
            out.flush()?;
        }
        let line = tokio::select! {
            line = lines.next_line() => line?,
            () = interrupts.next() => None,
        };
        let Some(line) = line else {
            return Ok(None);
        };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if !interactive {
            writeln!(out, "you> {text}")?;
        }
        return Ok(Some(text.to_string()));
    }
}
