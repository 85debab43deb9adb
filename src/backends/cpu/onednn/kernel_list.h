// Every oneDNN kernel registration function, one line each (X-macro; see register.cc).
