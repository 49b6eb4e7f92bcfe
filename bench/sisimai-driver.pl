#!/usr/bin/perl
# The peer for bench/bounce.ts: Debian's Sisimai (libsisimai-perl) over a Maildir-like directory or an
# mbox, printing one line per result (recipient, reason, status). It reads the messages one at a time
# the way Sisimai->make does (Sisimai::Mail, Sisimai::Message, Sisimai::Data), but prints each result as
# it comes instead of keeping the whole list, so its memory is measured the way ours is.
#   perl bench/sisimai-driver.pl <dir|mbox>
use strict;
use warnings;
use Sisimai;
use Sisimai::Mail;
use Sisimai::Message;
use Sisimai::Data;

my $path = shift // die "usage: $0 <dir|mbox>\n";
my $mail = Sisimai::Mail->new($path) or die "cannot read $path\n";
my ($messages, $results) = (0, 0);
while (my $r = $mail->data->read) {
    $messages++;
    my $mesg = Sisimai::Message->new('data' => $r) or next;
    my $data = Sisimai::Data->make('data' => $mesg, 'origin' => $mail->data->path) or next;
    for my $e (@$data) {
        $results++;
        print join("\t", $e->{'recipient'}->address, $e->{'reason'} // '', $e->{'deliverystatus'} // ''), "\n";
    }
}
print STDERR "sisimai-driver: $messages messages, $results results\n";
