/**
 * How far each ingester has written: the highest settlement batch all of
 * whose readings it took in are stored. With several ingesters on one shared
 * subscription, the one that settles must not close a batch while another
 * still holds some of its readings (journaled, waiting for the store): it
 * waits until every ingester it was told about has written through the batch.
 * An ingester that is down holds settlement back until it is back (its
 * journal replays first), or until the operator removes it from the list:
 * settlement is delayed, never short of readings.
 */
export interface IngestProgress {
  /** Records that `ingester` has written every reading of batches <= `batch`. */
  report(ingester: string, batch: number): Promise<void>;
  /** The last batch each ingester reported, with when it reported it (ms). */
  writtenThrough(): Promise<Map<string, { batch: number; at: number }>>;
}
