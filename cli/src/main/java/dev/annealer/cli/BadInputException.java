package dev.annealer.cli;

/** A user mistake on the command line; the message says what is wrong and what is accepted. Exit code 2. */
public class BadInputException extends IllegalArgumentException {
    public BadInputException(String message) {
        super(message);
    }
}
