package io.iommulab.dart.impl.shell;

import java.util.function.IntFunction;

/**
 * One register of a DART as the shell shows it.
 *
 * @param name    register name as dart-facts §1.3/§1.4 call it, with an index for arrays ({@code TCR[3]})
 * @param offset  byte offset in the DART's window
 * @param decoder turns a value into text (fields by name)
 */
record RegisterView(String name, int offset, IntFunction<String> decoder) {
}
