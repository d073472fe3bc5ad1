//! STARTTLS against real servers from Debian's packages, each started by its test on free
//! loopback ports with a generated certificate ([`daemon`]), and against responders written
//! here for what a real server will not do (stall, refuse, speak another protocol).

mod daemon;
mod hostile;
mod mail;
mod servers;
mod usage;
